// Classifier features from Tock's inference forward (Model::forward_hidden, the fast path train
// and eval use for a GGUF backbone) equal the training model's (LlamaTrainModel::forward_hidden,
// the reference here) on a random exported model, for both poolings and any batch size; and
// forward_hidden's rows times the (tied) output matrix are forward's logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/gguf.hpp"
#include "model/model.hpp"
#include "text/tokenizer.hpp"
#include "train/classify_model.hpp"
#include "train/llama_export.hpp"
#include "train/llama_train.hpp"

namespace tock {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(testing::TempDir()) / name).string();
}

// UTF-8 of code point cp (< 0x800: all the byte-level alphabet needs).
std::string utf8(uint32_t cp) {
  if (cp < 0x80) return std::string(1, char(cp));
  return {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
}

// A byte-level tokenizer GGUF with no merges: token i is byte i in GPT-2's byte-to-unicode
// alphabet (bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF as themselves, the rest U+0100...), so every
// text encodes to its bytes. V >= 256 tokens; EOS is 256.
std::string write_byte_tokenizer(int64_t V) {
  std::vector<std::string> tokens;
  uint32_t next = 0x100;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    tokens.push_back(utf8(self ? b : next++));
  }
  for (int64_t i = 256; i < V; ++i) tokens.push_back("<extra" + std::to_string(i) + ">");
  GgufWriter w;
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string("default"));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(tokens));
  std::vector<int32_t> types(size_t(V), 1);
  for (int64_t i = 256; i < V; ++i) types[size_t(i)] = 3;
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings({}));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(256));
  const std::string path = temp_path("classify_byte_tok.gguf");
  w.write(path);
  return path;
}

// Weights far from initialisation so the hidden states are O(1) and differences show.
LlamaTrainModel make_model() {
  LlamaTrainConfig c;
  c.n_layer = 2;
  c.channels = 64;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.ffn_hidden = 96;
  c.vocab_size = 260;
  c.max_seq_len = 64;
  LlamaTrainModel m(c, 3);
  std::mt19937 rng(17);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (const auto& t : m.tensors())
    for (int64_t i = 0; i < t.numel; ++i)
      m.params()[t.offset + i] = t.decay ? 0.15f * d(rng) : 1.0f + 0.3f * d(rng);
  return m;
}

struct Exported {
  LlamaTrainModel train = make_model();
  std::string path = temp_path("classify_features.gguf");
  std::unique_ptr<Tokenizer> tok;
  Exported() {
    export_llama_gguf(train, GgufFile::open(write_byte_tokenizer(260)), path);
    tok = Tokenizer::from_gguf(GgufFile::open(path));
  }
};

const std::vector<std::string> kTexts = {"a cat", "", "The compiler rejects this template.", "x",
                                         "Segfault!", "tabby purrs on the warm mat"};

TEST(ClassifyFeatures, InferenceFastPathEqualsTrainingModel) {
  Exported e;
  auto model = Model::load(e.path);  // fast path (f32 weights: f32 kernels)
  for (Pooling pool : {Pooling::mean, Pooling::last}) {
    const auto want = classify_features(e.train, *e.tok, kTexts, 12, pool, 4, false);
    float scale = 0.0f;
    for (float x : want) scale = std::max(scale, std::abs(x));
    EXPECT_GT(scale, 0.5f);
    for (int64_t batch : {1, 4, 6}) {
      const auto got = classify_features(*model, *e.tok, kTexts, 12, pool, batch, false);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-4f) << pooling_name(pool) << " batch " << batch << " at " << i;
    }
  }
  // Texts cut to seq tokens: a longer seq changes only the texts longer than 12 bytes.
  const auto cut = classify_features(*model, *e.tok, kTexts, 12, Pooling::last, 6, false);
  const auto full = classify_features(*model, *e.tok, kTexts, 64, Pooling::last, 6, false);
  float same = 0.0f, changed = 0.0f;  // text 0 (5 bytes) vs text 2 (34 bytes), C = 64
  for (size_t j = 0; j < 64; ++j) {
    same = std::max(same, std::abs(cut[j] - full[j]));
    changed = std::max(changed, std::abs(cut[128 + j] - full[128 + j]));
  }
  EXPECT_LT(same, 1e-4f);
  EXPECT_GT(changed, 1e-2f);
}

TEST(ClassifyFeatures, ForwardHiddenTimesOutputIsForwardsLogits) {
  Exported e;
  auto model = Model::load(e.path, {ComputePath::exact});
  Batch b;
  const std::vector<int32_t> toks = {5, 200, 17, 17, 99, 3};
  for (size_t t = 0; t < toks.size(); ++t) b.add(toks[t], int32_t(t), 0, t % 2 == 1);
  KVCache c1 = model->make_cache(8), c2 = model->make_cache(8);
  std::vector<float> logits, hidden;
  model->forward(b, c1, logits);
  model->forward_hidden(b, c2, hidden);
  const int64_t C = 64, V = 260, n = 3;
  ASSERT_EQ(hidden.size(), size_t(n * C));
  ASSERT_EQ(logits.size(), size_t(n * V));
  const float* E = e.train.param_views()[kTokEmbd];  // tied: output = token embedding
  for (int64_t i = 0; i < n; ++i)
    for (int64_t v = 0; v < V; ++v) {
      double s = 0.0;
      for (int64_t j = 0; j < C; ++j) s += double(hidden[size_t(i * C + j)]) * E[v * C + j];
      ASSERT_NEAR(logits[size_t(i * V + v)], s, 1e-4) << i << "," << v;
    }
}

}  // namespace
}  // namespace tock
