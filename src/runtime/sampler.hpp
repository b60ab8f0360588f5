// The sampler chain: turns one position's logits into the next token.
//
// Semantics are llama.cpp's common sampler chain (common/sampling.cpp, src/llama-sampling.cpp),
// in its order:
//   0. logit bias: a fixed amount added to chosen tokens' logits (OpenAI's logit_bias;
//      llama.cpp's logit-bias sampler, which also runs first);
//   1. penalties over the last `repeat_last_n` accepted tokens (prompt tokens included):
//      repetition (divide a positive logit by repeat_penalty, multiply a negative one), then
//      frequency/presence (logit -= count * frequency_penalty + (count > 0) * presence_penalty);
//   2. top-k: keep the k most likely tokens (k <= 0: off);
//   3. top-p: keep the smallest most-likely set whose probability reaches p (p >= 1: off);
//   4. min-p: keep tokens with probability >= min_p * the top probability (min_p <= 0: off);
//   5. temperature: logits / T;
//   6. softmax, then one draw from a seeded generator.
// Top-p and min-p measure probability before temperature, as llama.cpp does (Hugging Face's
// generate() applies temperature first; with T = 1 the two agree).
// Temperature <= 0 is greedy decoding: the argmax of the penalised logits, ties to the lowest id;
// the filters are then irrelevant.
//
// Determinism: the generator is std::mt19937_64, whose output sequence the C++ standard fixes, and
// the uniform draw is made from its raw bits (std::*_distribution outputs are
// implementation-defined), and every ranking uses a total order — so the same seed and logits give
// the same tokens on every platform and standard library.
//
// Not here: stop strings (stop_strings.hpp), EOS handling and max tokens (the generation loop).
#pragma once
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "runtime/sampler_stages.hpp"

namespace tock {

struct SamplerParams {
  static constexpr uint64_t kRandomSeed = UINT64_MAX;  // seed = kRandomSeed: draw one at start

  float temperature = 0.8f;       // <= 0: greedy
  int top_k = 40;                 // <= 0: off
  float top_p = 0.95f;            // >= 1: off; must be >= 0
  float min_p = 0.05f;            // <= 0: off; must be <= 1
  float repeat_penalty = 1.0f;    // 1: off; must be > 0
  int repeat_last_n = 64;         // tokens of history the penalties look at; 0: off, -1: all
  float frequency_penalty = 0.0f; // 0: off
  float presence_penalty = 0.0f;  // 0: off
  uint64_t seed = 42;             // fixed by default so runs are reproducible
  std::vector<std::pair<int32_t, float>> logit_bias;  // (token, amount); ids past the logits ignored
};

class Sampler {
 public:
  // Throws tock::Error naming the parameter when one is out of range or not finite.
  explicit Sampler(SamplerParams params);

  // Runs the chain on one position's logits (size V) and draws a token. Does not record it:
  // call accept() with the token actually used.
  int32_t sample(std::span<const float> logits);

  // Runs the chain up to the final distribution without drawing (no generator state used).
  // The result is also what candidates() returns afterwards.
  std::span<const TokenProb> distribution(std::span<const float> logits);

  // Adds a token to the history the penalties look at (prompt tokens too).
  void accept(int32_t token);

  // Forgets the history and restarts the generator from the seed.
  void reset();

  // The distribution the last sample()/distribution() used: the surviving tokens with their final
  // logits and probabilities (summing to 1), highest first when top-k or top-p ran, in vocabulary
  // order otherwise. Greedy: the chosen token alone, p = 1. For the clock's traces.
  std::span<const TokenProb> candidates() const { return candidates_; }

  const SamplerParams& params() const { return params_; }
  uint64_t seed() const { return seed_; }  // the seed in use (drawn, when kRandomSeed was asked)

 private:
  std::span<const int32_t> recent() const;
  double uniform();  // [0, 1) from the top 53 bits of one generator output

  SamplerParams params_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  std::vector<int32_t> history_;
  std::vector<float> logits_;  // scratch: the penalised logits
  Candidates candidates_;
};

}  // namespace tock
