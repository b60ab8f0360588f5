// Pieces of the training loop: the GGUF export read back by Tock's inference (logits equal to
// the training forward's), the memory estimate against what the models really allocate, and
// the sampler's token choice on hand-worked distributions. The loop end to end (resume, kill,
// Ctrl-C, errors) is tests/python/test_train_cli.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "model/model.hpp"
#include "train/adamw.hpp"
#include "train/gpt_train_model.hpp"
#include "train/llama_train.hpp"
#include "train/random.hpp"
#include "train/trainer_models.hpp"
#include "train/trainer_sample.hpp"

namespace tock {
namespace {

// A tokenizer GGUF of V plain tokens (no merges): enough for export and the model loader.
GgufFile tiny_tokenizer(int64_t V) {
  GgufWriter w;
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < V; ++i) tokens.push_back(cat("t", i));
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string("gpt-2"));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(tokens));
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(std::vector<int32_t>(size_t(V), 1)));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings({}));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(uint32_t(V - 1)));
  const std::vector<uint8_t> bytes = w.to_bytes();
  return GgufFile::parse(bytes.data(), bytes.size(), "tiny-tokenizer");
}

// A few AdamW steps on random tokens, so that biases and norms are no longer 0 and 1.
void train_a_little(TrainModel& m, int64_t B, int64_t T, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<int32_t> x(size_t(B * T)), y(size_t(B * T));
  AdamW opt({0.9f, 0.95f, 1e-8f, 0.1f}, m.num_params());
  for (int step = 0; step < 3; ++step) {
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = int32_t(rng.below(uint64_t(m.vocab_size())));
      y[i] = int32_t(rng.below(uint64_t(m.vocab_size())));
    }
    m.zero_grad();
    m.forward(x.data(), y.data(), B, T);
    m.backward();
    opt.step(m.segments(), 1e-2f);
  }
}

// Exports `m`, loads it with Tock's inference (exact f32 path) and compares every position's
// logits on one sequence with the training forward's.
void expect_inference_matches_training(TrainModel& m, const ModelShape& shape, const char* file) {
  const int64_t V = m.vocab_size(), T = shape.seq;
  const GgufFile tok = tiny_tokenizer(V);
  const std::string path = (std::filesystem::temp_directory_path() / file).string();
  export_train_model(m, shape, tok, path);

  std::vector<int32_t> ids(static_cast<size_t>(T));
  SplitMix64 rng(99);
  for (auto& id : ids) id = int32_t(rng.below(uint64_t(V)));
  m.forward(ids.data(), nullptr, 1, T);
  const std::vector<float> want(m.logits(), m.logits() + T * V);

  ModelOptions opt;
  opt.path = ComputePath::exact;
  auto model = Model::load(path, opt);
  EXPECT_EQ(model->config().arch, shape.arch);
  KVCache cache = model->make_cache(T);
  Batch batch;
  for (int64_t t = 0; t < T; ++t) batch.add(ids[size_t(t)], int32_t(t), 0, true);
  std::vector<float> got;
  model->forward(batch, cache, got);
  ASSERT_EQ(got.size(), want.size());
  double max_diff = 0;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, double(std::fabs(got[i] - want[i])));
  EXPECT_LT(max_diff, 1e-4) << "max |logit difference| over " << T << " positions";
  std::remove(path.c_str());
}

TEST(TrainerExport, Gpt2GgufRunsInTockInferenceWithTheTrainingLogits) {
  ModelShape s{"gpt2", 2, 24, 3, 0, 0, 9, 37};
  complete_shape(s);
  auto m = make_train_model(s, 5);
  train_a_little(*m, 2, s.seq, 1);
  expect_inference_matches_training(*m, s, "tock_trainer_export_gpt2.gguf");
}

TEST(TrainerExport, LlamaGgufRunsInTockInferenceWithTheTrainingLogits) {
  ModelShape s{"llama", 2, 32, 4, 2, 0, 9, 41};
  complete_shape(s);
  auto m = make_train_model(s, 6);
  train_a_little(*m, 2, s.seq, 2);
  expect_inference_matches_training(*m, s, "tock_trainer_export_llama.gguf");
}

TEST(TrainerMemory, EstimateBeforeBuildingEqualsWhatTheModelsAllocate) {
  const int64_t B = 3, T = 7;
  ModelShape g{"gpt2", 2, 16, 2, 0, 0, 8, 50};
  complete_shape(g);
  const MemoryEstimate eg = estimate_memory(g, B, T);
  auto gm = make_train_model(g, 1);
  EXPECT_EQ(eg.params, gm->num_params());
  EXPECT_EQ(eg.state_bytes, 16 * gm->num_params());
  EXPECT_EQ(eg.activation_bytes, gm->activation_bytes(B, T));
  // The activation block GptModel carves: encoded is its first tensor, losses (B·T) its last.
  std::vector<int32_t> x(size_t(B * T), 1);
  auto& gpt = dynamic_cast<GptTrainModel&>(*gm).gpt();
  gpt.forward(x.data(), x.data(), B, T);
  const int64_t C = 16, L = 2, NH = 2, V = 50, BT = B * T;
  const int64_t grad_floats = BT * (14 * C + V + 1) + B * NH * T;
  EXPECT_EQ(gpt.acts().losses + BT - gpt.acts().encoded, eg.activation_bytes / 4 - grad_floats);
  (void)L;

  ModelShape l{"llama", 3, 24, 6, 2, 40, 8, 30};
  complete_shape(l);
  const MemoryEstimate el = estimate_memory(l, B, T);
  auto lm = make_train_model(l, 1);
  EXPECT_EQ(el.params, lm->num_params());
  // The estimate is the model's own table (llama_activation_bytes), input/target copies included.
  EXPECT_EQ(el.activation_bytes, lm->activation_bytes(B, T));
}

TEST(TrainerMemory, ShapesAreCheckedPerArchitecture) {
  ModelShape bad_ff{"gpt2", 2, 16, 2, 0, 60, 8, 50};
  EXPECT_THROW(complete_shape(bad_ff), Error);
  ModelShape gqa{"gpt2", 2, 16, 2, 1, 0, 8, 50};
  EXPECT_THROW(complete_shape(gqa), Error);
  ModelShape odd{"llama", 2, 16, 4, 3, 0, 8, 50};
  EXPECT_THROW(complete_shape(odd), Error);
  ModelShape unknown{"mamba", 2, 16, 2, 0, 0, 8, 50};
  EXPECT_THROW(complete_shape(unknown), Error);
  ModelShape defaults{"", 0, 0, 0, 0, 0, 0, 50};
  complete_shape(defaults);
  EXPECT_EQ(defaults.arch, "gpt2");
  EXPECT_EQ(defaults.ff, 4 * defaults.dim);
  ModelShape ldef{"llama", 0, 96, 0, 0, 0, 0, 50};
  complete_shape(ldef);
  EXPECT_EQ(ldef.ff, 256);  // 8·96/3 = 256, a multiple of 32
}

TEST(TrainerSample, PickTokenFollowsTheTemperedDistribution) {
  const float logits[3] = {0.0f, std::log(3.0f), -1e9f};  // p = 1/4, 3/4, 0
  EXPECT_EQ(pick_token(logits, 3, 0.0f, 0.0), 1);       // greedy
  EXPECT_EQ(pick_token(logits, 3, 1.0f, 0.2), 0);
  EXPECT_EQ(pick_token(logits, 3, 1.0f, 0.26), 1);
  EXPECT_EQ(pick_token(logits, 3, 1.0f, 0.999999), 1);
  // Temperature 0.5 squares the odds: p = 1/10, 9/10.
  EXPECT_EQ(pick_token(logits, 3, 0.5f, 0.099), 0);
  EXPECT_EQ(pick_token(logits, 3, 0.5f, 0.101), 1);
}

}  // namespace
}  // namespace tock
