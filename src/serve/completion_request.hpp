// Parsing and validation of POST /v1/chat/completions and /v1/completions bodies (OpenAI's
// request schemas) into scheduler JobRequests, one per choice. Every problem is an ApiError(400)
// naming the field, what it must be and what it was; unknown fields are ignored, as OpenAI's API
// does. Supported: messages / prompt (a string, or token ids; for completions also a list of
// prompts: strings or token-id arrays), max_tokens (max_completion_tokens), temperature, top_p,
// stop, seed, n in [1, 16], stream (+ stream_options.include_usage), logprobs / top_logprobs,
// presence_penalty, frequency_penalty, echo; and llama.cpp's extras top_k, min_p, repeat_penalty,
// ignore_eos.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/job.hpp"
#include "text/chat_template.hpp"
#include "text/tokenizer.hpp"

namespace tock::serve {

enum class Endpoint { chat, completion };

struct CompletionRequest {
  Endpoint endpoint = Endpoint::chat;
  int n = 1;                       // choices per prompt
  // One job per choice, in choice order: prompt i's choice j is jobs[i·n + j] (its `index`, as in
  // OpenAI's legacy completions and vLLM). With a seed s, choice j samples with seed s + j
  // (choice_seed), so one request with one seed gives the same choices every time.
  std::vector<JobRequest> jobs;
  std::vector<std::string> echo;   // per prompt: completions' `echo`, the prompt as text sent before
                                   // each of its choices; "" when off
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  std::string model;           // echoed back; any name is accepted

  size_t prompt_of(size_t choice) const { return choice / size_t(n); }
};

struct RequestLimits {
  int64_t ctx = 2048;          // positions per slot: prompt + max_tokens must fit
  double timeout_s = 0;
  int64_t max_choices = INT64_MAX;  // n × prompts at most (the scheduler's slots + queue)
};

// Choice j's seed for a request seeded with `seed`: seed + j modulo 2^64, skipping
// SamplerParams::kRandomSeed (which asks for a random seed); kRandomSeed itself stays random.
uint64_t choice_seed(uint64_t seed, int j);

// Throws ApiError(400) for malformed JSON, wrong types and out-of-range values, for a prompt or
// max_tokens that does not fit the context (with the numbers), and for n × prompts over
// limits.max_choices (a request the server could never hold at once, so not a 503 to retry).
CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const Tokenizer& tok,
                                           const ChatTemplate& tmpl, const RequestLimits& limits);

// The body as a JSON object, or ApiError(400) saying why not.
nlohmann::json parse_json_object(std::string_view body);

}  // namespace tock::serve
