#include "serve/openai_format.hpp"

namespace tock::serve {
namespace {

using nlohmann::json;

json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(int(c));
  return b;
}

const char* object_name(Endpoint e, bool chunk) {
  if (e == Endpoint::completion) return "text_completion";
  return chunk ? "chat.completion.chunk" : "chat.completion";
}

json finish_json(Finish f) { return f == Finish::running ? json(nullptr) : json(finish_name(f)); }

json envelope(const CompletionRequest& r, const ResponseId& id, bool chunk) {
  return {{"id", id.id}, {"object", object_name(r.endpoint, chunk)}, {"created", id.created},
          {"model", id.model}, {"system_fingerprint", "tock"}};
}

}  // namespace

json timings_json(const JobTimings& t) {
  const double per_token = t.predicted_n > 1 ? t.predicted_ms / double(t.predicted_n - 1) : 0.0;
  return {{"prompt_n", t.prompt_n},
          {"cache_n", t.cache_n},
          {"queue_ms", t.queue_ms},
          {"prompt_ms", t.prompt_ms},
          {"prompt_per_second", t.prompt_ms > 0 ? double(t.prompt_n - t.cache_n) * 1e3 / t.prompt_ms : 0.0},
          {"predicted_n", t.predicted_n},
          {"predicted_ms", t.predicted_ms},
          {"predicted_per_token_ms", per_token},
          {"predicted_per_second", per_token > 0 ? 1e3 / per_token : 0.0},
          {"ttft_ms", t.ttft_ms},
          {"total_ms", t.total_ms}};
}

json usage_json(const std::vector<JobTimings>& per_choice, int n) {
  int64_t prompt = 0, cached = 0, completion = 0;
  for (size_t c = 0; c < per_choice.size(); ++c) {
    if (c % size_t(n) == 0) prompt += per_choice[c].prompt_n, cached += per_choice[c].cache_n;
    completion += per_choice[c].predicted_n;
  }
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

json logprobs_json(Endpoint e, const std::vector<TokenLogprob>& lps, const Tokenizer& tok, size_t offset) {
  if (e == Endpoint::chat) {
    json content = json::array();
    for (const auto& lp : lps) {
      json top = json::array();
      for (const auto& [id, p] : lp.top)
        top.push_back({{"token", tok.piece(id)}, {"logprob", p}, {"bytes", bytes_of(tok.piece(id))}});
      const std::string& s = tok.piece(lp.token);
      content.push_back({{"token", s}, {"logprob", lp.logprob}, {"bytes", bytes_of(s)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
  }
  json tokens = json::array(), token_lps = json::array(), tops = json::array(), offsets = json::array();
  for (const auto& lp : lps) {
    const std::string& s = tok.piece(lp.token);
    tokens.push_back(s);
    token_lps.push_back(lp.logprob);
    json top = json::object();
    for (const auto& [id, p] : lp.top) top[tok.piece(id)] = p;
    tops.push_back(top);
    offsets.push_back(offset);
    offset += s.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", token_lps}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

json completion_response(const CompletionRequest& r, const ResponseId& id, const std::vector<ChoiceResult>& choices,
                         const Tokenizer& tok) {
  json out = envelope(r, id, false);
  out["choices"] = json::array();
  std::vector<JobTimings> timings;
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    json choice = {{"index", i}, {"finish_reason", finish_json(c.finish)},
                   {"logprobs", r.logprobs ? logprobs_json(r.endpoint, c.logprobs, tok) : json(nullptr)}};
    if (r.endpoint == Endpoint::chat) choice["message"] = {{"role", "assistant"}, {"content", c.text}};
    else choice["text"] = c.text;
    out["choices"].push_back(std::move(choice));
    timings.push_back(c.timings);
  }
  out["usage"] = usage_json(timings, r.n);
  out["timings"] = timings_json(timings.at(0));
  return out;
}

json stream_chunk(const CompletionRequest& r, const ResponseId& id, size_t index, const std::string& delta,
                  const std::vector<TokenLogprob>& lps, size_t offset, bool role, Finish finish,
                  const JobTimings& t, const Tokenizer& tok) {
  json out = envelope(r, id, true);
  json choice = {{"index", index}, {"finish_reason", finish_json(finish)},
                 {"logprobs", r.logprobs && !lps.empty() ? logprobs_json(r.endpoint, lps, tok, offset) : json(nullptr)}};
  if (r.endpoint == Endpoint::chat) {
    json d = json::object();
    if (role) d["role"] = "assistant";
    if (!delta.empty() || role) d["content"] = delta;
    choice["delta"] = d;
  } else {
    choice["text"] = delta;
  }
  out["choices"] = json::array({choice});
  if (finish != Finish::running) out["timings"] = timings_json(t);
  return out;
}

json usage_chunk(const CompletionRequest& r, const ResponseId& id, const std::vector<JobTimings>& per_choice) {
  json out = envelope(r, id, true);
  out["choices"] = json::array();
  out["usage"] = usage_json(per_choice, r.n);
  return out;
}

}  // namespace tock::serve
