// Parsing and validation of POST /v1/chat/completions and /v1/completions bodies (OpenAI's
// request schemas) into a scheduler JobRequest. Every problem is an ApiError(400) naming the
// field, what it must be and what it was; unknown fields are ignored, as OpenAI's API does.
// Supported: messages / prompt (a string, one string in an array, or token ids), max_tokens
// (max_completion_tokens), temperature, top_p, stop, seed, n = 1, stream (+ stream_options.
// include_usage), logprobs / top_logprobs, presence_penalty, frequency_penalty; and llama.cpp's
// extras top_k, min_p, repeat_penalty, ignore_eos.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "serve/job.hpp"
#include "text/chat_template.hpp"
#include "text/tokenizer.hpp"

namespace tock::serve {

enum class Endpoint { chat, completion };

struct CompletionRequest {
  Endpoint endpoint = Endpoint::chat;
  JobRequest job;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  std::string echo;            // completions' `echo`: the prompt as text, sent before the reply
  std::string model;           // echoed back; any name is accepted
};

struct RequestLimits {
  int64_t ctx = 2048;          // positions per slot: prompt + max_tokens must fit
  double timeout_s = 0;
};

// Throws ApiError(400) for malformed JSON, wrong types and out-of-range values, and for a prompt
// or max_tokens that does not fit the context (with the numbers).
CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const Tokenizer& tok,
                                           const ChatTemplate& tmpl, const RequestLimits& limits);

// The body as a JSON object, or ApiError(400) saying why not.
nlohmann::json parse_json_object(std::string_view body);

}  // namespace tock::serve
