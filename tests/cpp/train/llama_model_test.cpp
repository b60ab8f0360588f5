// LlamaTrainModel's contract beyond the PyTorch check (tests/python/test_train_llama.py): the
// parameter table, nanoGPT initialisation statistics and determinism, the FLOP and memory
// estimates by hand, logits without targets, and errors for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "train/llama_train.hpp"

namespace {

tock::LlamaTrainConfig small(bool tied) {
  tock::LlamaTrainConfig c;
  c.n_layer = 4;
  c.channels = 48;
  c.n_head = 6;
  c.n_kv_head = 2;
  c.ffn_hidden = 128;
  c.vocab_size = 50;
  c.max_seq_len = 8;
  c.tied_output = tied;
  return c;
}

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const tock::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LlamaModel, ParameterTableInBlockOrder) {
  // C 48, HS 8, KV 16, F 128, L 4, V 50.
  for (bool tied : {true, false}) {
    tock::LlamaTrainModel m(small(tied), 1);
    const auto t = m.tensors();
    ASSERT_EQ(t.size(), tied ? 11u : 12u);
    const std::vector<std::pair<std::string, std::vector<int64_t>>> want = {
        {"tok_embd", {50, 48}},   {"attn_norm", {4, 48}},    {"wq", {4, 48, 48}},
        {"wk", {4, 16, 48}},      {"wv", {4, 16, 48}},       {"wo", {4, 48, 48}},
        {"ffn_norm", {4, 48}},    {"w_gate", {4, 128, 48}},  {"w_up", {4, 128, 48}},
        {"w_down", {4, 48, 128}}, {"output_norm", {48}},     {"output", {50, 48}}};
    int64_t offset = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_EQ(t[i].name, want[i].first);
      EXPECT_EQ(t[i].shape, want[i].second);
      EXPECT_EQ(t[i].offset, offset);
      EXPECT_EQ(t[i].decay, t[i].name.find("norm") == std::string::npos) << t[i].name;
      offset += t[i].numel;
    }
    EXPECT_EQ(m.num_params(), offset);
    EXPECT_EQ(offset, 50 * 48 + 4 * (48 + 48 * 48 * 2 + 16 * 48 * 2 + 48 + 3 * 128 * 48) + 48 +
                          (tied ? 0 : 50 * 48));
  }
}

TEST(LlamaModel, InitialisationIsNanoGptAndSeeded) {
  tock::LlamaTrainConfig c = small(false);
  c.channels = 96;
  c.ffn_hidden = 256;
  tock::LlamaTrainModel a(c, 3), b(c, 3), other(c, 4);
  EXPECT_TRUE(std::equal(a.params(), a.params() + a.num_params(), b.params()));
  EXPECT_FALSE(std::equal(a.params(), a.params() + a.num_params(), other.params()));
  for (const auto& t : a.tensors()) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < t.numel; ++i) {
      const double x = a.params()[t.offset + i];
      sum += x;
      sq += x * x;
    }
    const double mean = sum / double(t.numel), sd = std::sqrt(sq / double(t.numel) - mean * mean);
    if (!t.decay) {
      EXPECT_EQ(mean, 1.0) << t.name;
      EXPECT_EQ(sd, 0.0) << t.name;
      continue;
    }
    const double want = (t.name == "wo" || t.name == "w_down") ? 0.02 / std::sqrt(8.0) : 0.02;
    EXPECT_NEAR(sd, want, 0.05 * want) << t.name;  // ≥ 4600 draws each
    EXPECT_NEAR(mean, 0.0, 0.05 * want) << t.name;
  }
}

TEST(LlamaModel, FlopsAndActivationBytesByHand) {
  tock::LlamaTrainModel m(small(true), 1);
  // matmul params: L·(2C² + 2·KV·C + 3·F·C) + V·C = 4·(4608 + 1536 + 18432) + 2400 = 100704.
  EXPECT_DOUBLE_EQ(m.flops_per_token(8), 6.0 * 100704 + 12.0 * 4 * 48 * 8);
  // B 2, T 8 (BT 16), NH 6, NKV 2: activations + gradients of activations + token ids.
  const int64_t BT = 16, C = 48, L = 4, KV = 16, F = 128, V = 50;
  const int64_t acts = (L + 1) * BT * C + L * (BT * C + BT + BT * C + 2 * BT * KV + 2 * 6 * 8 * 8 +
                                               BT * C + BT * C + BT * C + BT + 3 * BT * F) +
                       BT * C + BT + 2 * BT * V + BT;
  const int64_t grads = 4 * BT * C + 2 * BT * KV + 3 * BT * F + BT * V + BT + 2 * 2 * 8;
  EXPECT_EQ(m.activation_bytes(2, 8), 4 * (acts + grads) + 2 * BT * 4);
  EXPECT_EQ(tock::llama_activation_bytes(small(true), 2, 8), m.activation_bytes(2, 8));
}

TEST(LlamaModel, LogitsWithoutTargetsEqualThoseWithTargets) {
  tock::LlamaTrainModel m(small(false), 2);
  const std::vector<int32_t> in = {1, 2, 3, 4, 5, 6, 49, 0}, tg = {2, 3, 4, 5, 6, 7, 0, 1};
  m.forward(in.data(), tg.data(), 2, 4);
  const std::vector<float> with(m.logits(), m.logits() + 8 * 50);
  EXPECT_EQ(m.forward(in.data(), nullptr, 2, 4), 0.0f);
  EXPECT_TRUE(std::equal(with.begin(), with.end(), m.logits()));
  // No loss was computed, so there is nothing to differentiate.
  EXPECT_NE(error_of([&] { m.backward(); }).find("no forward pass with targets"), std::string::npos);
}

TEST(LlamaModel, ErrorsNameTheProblem) {
  tock::LlamaTrainModel m(small(true), 1);
  const std::vector<int32_t> ok(16, 1), bad = {1, 2, 50, 3};
  EXPECT_NE(error_of([&] { m.forward(bad.data(), nullptr, 1, 4); })
                .find("input token 50 at 2 outside vocabulary of 50"), std::string::npos);
  EXPECT_NE(error_of([&] { m.forward(ok.data(), bad.data(), 1, 4); })
                .find("target token 50 at 2"), std::string::npos);
  EXPECT_NE(error_of([&] { m.forward(ok.data(), ok.data(), 1, 9); })
                .find("sequence length 9 exceeds the model's 8"), std::string::npos);
  EXPECT_NE(error_of([&] { m.backward(); }).find("no forward pass"), std::string::npos);
  tock::LlamaTrainConfig c = small(true);
  c.n_kv_head = 4;
  EXPECT_NE(error_of([&] { tock::LlamaTrainModel x(c, 1); }).find("heads 6 not divisible by kv heads 4"),
            std::string::npos);
  EXPECT_NE(error_of([] { tock::LlamaTrainModel::from_gguf("/nonexistent/x.gguf"); })
                .find("/nonexistent/x.gguf"), std::string::npos);
}

}  // namespace
