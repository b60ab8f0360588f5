// OpenAI's response shapes for chat.completion / text_completion, their streamed chunks
// (chat.completion.chunk; Server-Sent Events framing is the caller's), usage, logprobs, plus the
// `timings` object every Tock response carries (llama.cpp's field names).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/completion_request.hpp"
#include "serve/job.hpp"
#include "text/tokenizer.hpp"

namespace tock::serve {

struct ResponseId {
  std::string id;       // "chatcmpl-…" / "cmpl-…"
  int64_t created = 0;  // unix seconds
  std::string model;
};

nlohmann::json timings_json(const JobTimings& t);
nlohmann::json usage_json(const JobTimings& t);

// Chat: {"content": [{token, logprob, bytes, top_logprobs: [...]}, ...]}; completions: the legacy
// {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}. text_offset starts at
// `offset` (characters already sent in earlier chunks).
nlohmann::json logprobs_json(Endpoint e, const std::vector<TokenLogprob>& lps, const Tokenizer& tok,
                             size_t offset = 0);

// The whole non-streamed response.
nlohmann::json completion_response(const CompletionRequest& r, const ResponseId& id, const std::string& text,
                                   const std::vector<TokenLogprob>& lps, Finish finish, const JobTimings& t,
                                   const Tokenizer& tok);

// One streamed chunk. `role` adds delta.role (the first chat chunk); `finish` != running ends the
// choice and adds timings.
nlohmann::json stream_chunk(const CompletionRequest& r, const ResponseId& id, const std::string& delta,
                            const std::vector<TokenLogprob>& lps, size_t offset, bool role, Finish finish,
                            const JobTimings& t, const Tokenizer& tok);

// The usage-only chunk sent last when stream_options.include_usage is set (choices: []).
nlohmann::json usage_chunk(const CompletionRequest& r, const ResponseId& id, const JobTimings& t);

}  // namespace tock::serve
