// Generation: the tick loop over one sequence. Each forward pass that yields a token is a tick.
// A Session owns one sequence's KV cache and sampler, so a chat keeps its history between turns
// (only new tokens are processed) and `tock run` is a session with one turn.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.hpp"
#include "runtime/sampler.hpp"
#include "text/tokenizer.hpp"

namespace tock {

struct GenerateParams {
  int max_tokens = 256;                 // < 0: until the context is full
  std::vector<std::string> stop;        // stop strings (not shown to the user)
  bool ignore_eos = false;              // keep going past end-of-generation tokens
  int prefill_chunk = 512;              // prompt tokens per forward pass
};

enum class StopReason { length, eos, stop_string, context_full, cancelled };
const char* stop_reason_name(StopReason r);

struct GenerationStats {
  int64_t prompt_tokens = 0;     // tokens processed before the first sampled token
  double prompt_seconds = 0;
  double generate_seconds = 0;
  StopReason stop = StopReason::length;
  std::vector<int32_t> tokens;   // the sampled tokens, in order
  int64_t tokens_in_cache = 0;   // how many of them were processed into the KV cache (a prefix)
  // Tokens sampled, including a final end-of-generation token.
  int64_t generated_tokens() const { return int64_t(tokens.size()); }
};

class Session {
 public:
  // max_positions: the context (0 = the model's trained length).
  Session(Model& model, const Tokenizer& tokenizer, SamplerParams sampling, int64_t max_positions = 0);

  // Processes tokens (appending them to the sequence) and leaves the last one's logits ready for
  // sampling. Errors when the context would overflow.
  void feed(std::span<const int32_t> tokens, int prefill_chunk = 512);

  // Samples up to max_tokens after what was fed; on_text receives text as it completes (whole
  // UTF-8 characters, stop strings held back) and returns false to cancel. Sampled tokens are
  // processed into the cache as generation goes, except a final end-of-generation token.
  GenerationStats generate(const GenerateParams& params,
                           const std::function<bool(std::string_view)>& on_text,
                           const std::function<bool()>& cancelled = {});

  // Convenience for one prompt: tokenize (parse_special, add BOS as the model asks), feed,
  // generate. Stats include the prompt's processing.
  GenerationStats run(std::string_view prompt, const GenerateParams& params,
                      const std::function<bool(std::string_view)>& on_text,
                      const std::function<bool()>& cancelled = {});

  void reset();  // forget the sequence (and the sampler's history)
  int64_t n_past() const { return n_past_; }
  int64_t max_positions() const { return cache_.max_positions(); }
  int64_t tokens_processed() const { return tokens_processed_; }  // total through forward()
  const KVCache& cache() const { return cache_; }
  const Tokenizer& tokenizer() const { return tok_; }
  Sampler& sampler() { return sampler_; }

 private:
  Model& model_;
  const Tokenizer& tok_;
  Sampler sampler_;
  KVCache cache_;
  std::vector<float> logits_;  // last position's logits (V)
  int64_t n_past_ = 0;
  int64_t tokens_processed_ = 0;
  double last_feed_seconds_ = 0;
  int64_t last_feed_tokens_ = 0;
};

}  // namespace tock
