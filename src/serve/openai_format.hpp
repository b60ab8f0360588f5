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

// One choice's whole (non-streamed) reply.
struct ChoiceResult {
  std::string text;  // completions' echo included
  std::vector<TokenLogprob> logprobs;
  Finish finish = Finish::running;
  JobTimings timings;
};

nlohmann::json timings_json(const JobTimings& t);
// Usage over a request's choices (per_choice in choice order, n per prompt), as OpenAI and vLLM
// count it: completion tokens summed over every choice, prompt (and cached) tokens once per prompt,
// from its first choice.
nlohmann::json usage_json(const std::vector<JobTimings>& per_choice, int n);

// Chat: {"content": [{token, logprob, bytes, top_logprobs: [...]}, ...]}; completions: the legacy
// {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}. text_offset starts at
// `offset` (characters already sent in earlier chunks).
nlohmann::json logprobs_json(Endpoint e, const std::vector<TokenLogprob>& lps, const Tokenizer& tok,
                             size_t offset = 0);

// The whole non-streamed response: one entry of `choices` per result, its index its position;
// `timings` is the first choice's (each choice has its own; a streamed choice's last chunk carries it).
nlohmann::json completion_response(const CompletionRequest& r, const ResponseId& id,
                                   const std::vector<ChoiceResult>& choices, const Tokenizer& tok);

// One streamed chunk of choice `index`. `role` adds delta.role (a chat choice's first chunk);
// `finish` != running ends the choice and adds its timings.
nlohmann::json stream_chunk(const CompletionRequest& r, const ResponseId& id, size_t index, const std::string& delta,
                            const std::vector<TokenLogprob>& lps, size_t offset, bool role, Finish finish,
                            const JobTimings& t, const Tokenizer& tok);

// The usage-only chunk sent last when stream_options.include_usage is set (choices: []).
nlohmann::json usage_chunk(const CompletionRequest& r, const ResponseId& id, const std::vector<JobTimings>& per_choice);

}  // namespace tock::serve
