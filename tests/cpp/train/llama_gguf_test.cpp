// The Llama trainer and GGUF: a trained (here random) model exported with export_llama_gguf runs
// in Tock's inference (Model::load, exact path) with the training forward's logits; the file
// carries llama.cpp's key and tensor names and the tokenizer; from_gguf reads it back bit for
// bit, and from_gguf on the default pretrained model (Q4_1/Q8_0) gives inference's logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/float16.hpp"
#include "io/gguf.hpp"
#include "model/model.hpp"
#include "train/llama_export.hpp"
#include "train/llama_train.hpp"

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(testing::TempDir()) / name).string();
}

// A tokenizer GGUF of V byte-level tokens (only its keys matter here).
std::string write_tokenizer(int64_t V, const std::string& name) {
  tock::GgufWriter w;
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < V; ++i) tokens.push_back(tock::cat("tok", i));
  w.set("tokenizer.ggml.model", tock::GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", tock::GgufValue::of_string("default"));
  w.set("tokenizer.ggml.tokens", tock::GgufValue::of_strings(tokens));
  w.set("tokenizer.ggml.token_type", tock::GgufValue::of_i32s(std::vector<int32_t>(size_t(V), 1)));
  w.set("tokenizer.ggml.merges", tock::GgufValue::of_strings({}));
  w.set("tokenizer.ggml.eos_token_id", tock::GgufValue::of_u32(3));
  w.set("general.name", tock::GgufValue::of_string("not copied"));
  const std::string path = temp_path(name);
  w.write(path);
  return path;
}

// A model whose weights are far from initialisation, so logits are O(1) and errors show.
tock::LlamaTrainModel make_model(bool tied) {
  tock::LlamaTrainConfig c;
  c.n_layer = 2;
  c.channels = 64;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.ffn_hidden = 160;
  c.vocab_size = 97;
  c.max_seq_len = 32;
  c.rope_base = 1000.0f;
  c.tied_output = tied;
  tock::LlamaTrainModel m(c, 5);
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (const auto& t : m.tensors())
    for (int64_t i = 0; i < t.numel; ++i) {
      float& p = m.params()[t.offset + i];
      p = t.decay ? 0.15f * d(rng) : 1.0f + 0.3f * d(rng);
    }
  return m;
}

// Inference logits (T, V) for tokens at positions 0..T-1.
std::vector<float> inference_logits(tock::Model& model, const std::vector<int32_t>& tokens) {
  tock::Batch batch;
  for (size_t t = 0; t < tokens.size(); ++t) batch.add(tokens[t], int32_t(t), 0, true);
  tock::KVCache cache = model.make_cache(int64_t(tokens.size()));
  std::vector<float> logits;
  model.forward(batch, cache, logits);
  return logits;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

class LlamaExport : public testing::TestWithParam<bool> {};

TEST_P(LlamaExport, InferenceLogitsEqualTrainingLogits) {
  const bool tied = GetParam();
  tock::LlamaTrainModel m = make_model(tied);
  const std::vector<int32_t> tokens = {5, 96, 0, 17, 17, 42, 8, 63, 1, 77, 30, 2, 95};
  m.forward(tokens.data(), nullptr, 1, int64_t(tokens.size()));
  const std::string tok = write_tokenizer(97, "llama_export_tok.gguf");
  const std::string path = temp_path(tied ? "llama_export_tied.gguf" : "llama_export_untied.gguf");
  tock::export_llama_gguf(m, tock::GgufFile::open(tok), path);

  auto model = tock::Model::load(path, {tock::ComputePath::exact});
  const std::vector<float> logits = inference_logits(*model, tokens);
  ASSERT_EQ(logits.size(), tokens.size() * 97);
  float scale = 0.0f;
  for (float x : logits) scale = std::max(scale, std::abs(x));
  EXPECT_GT(scale, 1.0f);  // the comparison is not between near-zero numbers
  EXPECT_LT(max_abs_diff(logits.data(), m.logits(), logits.size()), 1e-4f);
}

TEST_P(LlamaExport, FileHasLlamaCppNamesAndTheTokenizer) {
  const bool tied = GetParam();
  tock::LlamaTrainModel m = make_model(tied);
  const std::string tok = write_tokenizer(97, "llama_names_tok.gguf");
  const std::string path = temp_path("llama_names.gguf");
  tock::export_llama_gguf(m, tock::GgufFile::open(tok), path, "my-model");
  const tock::GgufFile f = tock::GgufFile::open(path);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_string("general.name"), "my-model");
  EXPECT_EQ(f.get_int("llama.context_length"), 32);
  EXPECT_EQ(f.get_int("llama.embedding_length"), 64);
  EXPECT_EQ(f.get_int("llama.block_count"), 2);
  EXPECT_EQ(f.get_int("llama.feed_forward_length"), 160);
  EXPECT_EQ(f.get_int("llama.attention.head_count"), 4);
  EXPECT_EQ(f.get_int("llama.attention.head_count_kv"), 2);
  EXPECT_EQ(f.get_int("llama.rope.dimension_count"), 16);
  EXPECT_EQ(f.get_float("llama.rope.freq_base"), 1000.0);
  EXPECT_FLOAT_EQ(float(f.get_float("llama.attention.layer_norm_rms_epsilon")), 1e-5f);
  EXPECT_EQ(f.get("tokenizer.ggml.tokens").array_size(), 97u);
  EXPECT_EQ(f.get_int("tokenizer.ggml.eos_token_id"), 3);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  // ggml shapes, innermost first: a (out, in) matrix is [in, out].
  const auto ne = [&](const char* name) {
    const tock::GgufTensorInfo* t = f.find_tensor(name);
    EXPECT_NE(t, nullptr) << name;
    EXPECT_EQ(t ? t->type : tock::DType::F16, tock::DType::F32) << name;
    return t ? std::vector<int64_t>(t->ne.begin(), t->ne.begin() + t->n_dims) : std::vector<int64_t>{};
  };
  EXPECT_EQ(ne("token_embd.weight"), (std::vector<int64_t>{64, 97}));
  EXPECT_EQ(ne("blk.1.attn_norm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(ne("blk.1.attn_q.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(ne("blk.1.attn_k.weight"), (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(ne("blk.1.attn_v.weight"), (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(ne("blk.1.attn_output.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(ne("blk.1.ffn_norm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(ne("blk.1.ffn_gate.weight"), (std::vector<int64_t>{64, 160}));
  EXPECT_EQ(ne("blk.1.ffn_up.weight"), (std::vector<int64_t>{64, 160}));
  EXPECT_EQ(ne("blk.1.ffn_down.weight"), (std::vector<int64_t>{160, 64}));
  EXPECT_EQ(ne("output_norm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(f.find_tensor("output.weight") != nullptr, !tied);
  EXPECT_EQ(f.tensors().size(), size_t(2 + 2 * 9 + (tied ? 0 : 1)));

  // from_gguf reads the same parameters back.
  auto back = tock::LlamaTrainModel::from_gguf(path);
  ASSERT_EQ(back->num_params(), m.num_params());
  EXPECT_EQ(back->config().tied_output, tied);
  EXPECT_EQ(back->config().n_kv_head, 2);
  EXPECT_EQ(back->config().rope_base, 1000.0f);
  EXPECT_TRUE(std::equal(m.params(), m.params() + m.num_params(), back->params()));
}

INSTANTIATE_TEST_SUITE_P(TiedAndUntied, LlamaExport, testing::Bool());

TEST(LlamaExportF16, MatricesInF16NormsInF32SameLogitsAsRoundedWeights) {
  tock::LlamaTrainModel m = make_model(false);
  // The training model with its matrices rounded to f16 is what the file holds.
  for (const auto& t : m.tensors())
    if (t.decay)
      for (int64_t i = 0; i < t.numel; ++i)
        m.params()[t.offset + i] = tock::f16_to_f32(tock::f32_to_f16(m.params()[t.offset + i]));
  const std::vector<int32_t> tokens = {3, 14, 15, 92, 65, 35, 89, 79, 32, 38};
  m.forward(tokens.data(), nullptr, 1, int64_t(tokens.size()));
  const std::string tok = write_tokenizer(97, "llama_f16_tok.gguf");
  const std::string path = temp_path("llama_f16.gguf");
  tock::export_llama_gguf(m, tock::GgufFile::open(tok), path, "f16", tock::DType::F16);
  {
    const tock::GgufFile f = tock::GgufFile::open(path);
    EXPECT_EQ(f.get_int("general.file_type"), 1);
    EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->type, tock::DType::F16);
    EXPECT_EQ(f.find_tensor("output.weight")->type, tock::DType::F16);
    EXPECT_EQ(f.find_tensor("token_embd.weight")->type, tock::DType::F16);
    EXPECT_EQ(f.find_tensor("blk.0.attn_norm.weight")->type, tock::DType::F32);
    EXPECT_EQ(f.find_tensor("output_norm.weight")->type, tock::DType::F32);
  }
  auto model = tock::Model::load(path, {tock::ComputePath::exact});
  const std::vector<float> logits = inference_logits(*model, tokens);
  ASSERT_EQ(logits.size(), tokens.size() * 97);
  EXPECT_LT(max_abs_diff(logits.data(), m.logits(), logits.size()), 1e-4f);
  EXPECT_THROW(tock::export_llama_gguf(m, tock::GgufFile::open(tok), path, "q", tock::DType::Q8_0),
               tock::Error);
}

TEST(LlamaExportErrors, TokenizerOfAnotherVocabularySize) {
  tock::LlamaTrainModel m = make_model(true);
  const std::string tok = write_tokenizer(96, "llama_small_tok.gguf");
  try {
    tock::export_llama_gguf(m, tock::GgufFile::open(tok), temp_path("never.gguf"));
    FAIL() << "expected an error";
  } catch (const tock::Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 96 tokens, the model's vocabulary is 97"),
              std::string::npos) << e.what();
  }
}

// A GGUF of metadata only: from_gguf must refuse it from the hyper-parameters alone.
std::string write_header(const std::string& arch, int64_t rope_dim, const std::string& name) {
  tock::GgufWriter w;
  const std::string p = arch + ".";
  w.set("general.architecture", tock::GgufValue::of_string(arch));
  w.set(p + "context_length", tock::GgufValue::of_u32(32));
  w.set(p + "embedding_length", tock::GgufValue::of_u32(64));
  w.set(p + "block_count", tock::GgufValue::of_u32(1));
  w.set(p + "feed_forward_length", tock::GgufValue::of_u32(96));
  w.set(p + "attention.head_count", tock::GgufValue::of_u32(4));
  w.set(p + "attention.layer_norm_rms_epsilon", tock::GgufValue::of_f32(1e-5f));
  w.set(p + "rope.dimension_count", tock::GgufValue::of_u32(uint32_t(rope_dim)));
  const std::string path = temp_path(name);
  w.write(path);
  return path;
}

TEST(LlamaFromGguf, RefusesOtherFamiliesAndPartialRope) {
  auto error_of = [](const std::string& path) {
    try {
      tock::LlamaTrainModel::from_gguf(path);
    } catch (const tock::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  // Qwen2 rotates half-split pairs: its q/k rows would be read in the wrong order.
  EXPECT_NE(error_of(write_header("qwen2", 16, "qwen2_header.gguf")).find("'qwen2' is not a Llama-style model"),
            std::string::npos);
  EXPECT_NE(error_of(write_header("llama", 8, "partial_rope.gguf"))
                .find("rope.dimension_count 8 differs from the head size 16"),
            std::string::npos);
  // Right hyper-parameters but no tensors: the first missing one is named.
  EXPECT_NE(error_of(write_header("llama", 16, "no_tensors.gguf")).find("missing tensor 'token_embd.weight'"),
            std::string::npos);
}

TEST(LlamaFromGguf, DefaultModelMatchesInferenceExactPath) {
  const char* env = std::getenv("TOCK_MODEL");
  const std::string path = env ? env : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") +
                                           "/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  ASSERT_TRUE(std::filesystem::exists(path)) << "default model missing at " << path
                                             << ": run `tock pull smollm2`";
  auto m = tock::LlamaTrainModel::from_gguf(path);
  EXPECT_EQ(m->config().n_layer, 30);
  EXPECT_EQ(m->config().n_kv_head, 3);
  // "<|im_start|>user\nThe capital of France is" in SmolLM2's vocabulary.
  const std::vector<int32_t> tokens = {1, 4093, 198, 504, 3575, 282, 4649, 314};
  m->forward(tokens.data(), nullptr, 1, int64_t(tokens.size()));
  auto model = tock::Model::load(path, {tock::ComputePath::exact});
  const std::vector<float> logits = inference_logits(*model, tokens);
  const size_t V = size_t(m->vocab_size());
  ASSERT_EQ(logits.size(), tokens.size() * V);
  std::printf("from_gguf vs inference (exact): max |logit diff| %.3g over %zu positions\n",
              double(max_abs_diff(logits.data(), m->logits(), logits.size())), tokens.size());
  for (size_t t = 0; t < tokens.size(); ++t) {
    const float* a = logits.data() + t * V;
    const float* b = m->logits() + t * V;
    EXPECT_EQ(std::max_element(a, a + V) - a, std::max_element(b, b + V) - b) << "top-1 at " << t;
    EXPECT_LT(max_abs_diff(a, b, V), 5e-4f) << "position " << t;
  }
}

}  // namespace
