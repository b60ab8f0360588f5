#include "serve/completion_request.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "core/error.hpp"
#include "serve/api_error.hpp"

namespace tock::serve {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& must, const json& got) {
  std::string msg = "'" + field + "' must be " + must + ", got ";
  msg.append(got.is_string() ? dump_json(got) : std::string(got.type_name()) + (got.is_primitive() ? " " + dump_json(got) : ""));
  throw ApiError(400, msg, field);
}

// A field that is absent or null gives nullopt.
const json* field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> number(const json& j, const char* key, double lo, double hi) {
  const json* v = field(j, key);
  if (!v) return std::nullopt;
  const std::string range = "a number in [" + dump_json(lo) + ", " + dump_json(hi) + "]";
  if (!v->is_number()) bad(key, range, *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) bad(key, range, *v);
  return x;
}

std::optional<int64_t> integer(const json& j, const char* key, int64_t lo, int64_t hi) {
  const json* v = field(j, key);
  if (!v) return std::nullopt;
  const std::string range = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v->is_number_integer()) bad(key, range, *v);
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)) bad(key, range, *v);
  const int64_t x = v->get<int64_t>();
  if (x < lo || x > hi) bad(key, range, *v);
  return x;
}

std::optional<bool> boolean(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) bad(key, "a boolean", *v);
  return v->get<bool>();
}

// OpenAI's logit_bias: {"token id": bias in [-100, 100], ...}; -100 in effect bans a token.
std::vector<std::pair<int32_t, float>> logit_bias(const json& j, const Tokenizer& tok) {
  const json* v = field(j, "logit_bias");
  if (!v) return {};
  const char* must = "an object mapping token ids to numbers in [-100, 100]";
  if (!v->is_object()) bad("logit_bias", must, *v);
  std::vector<std::pair<int32_t, float>> out;
  for (const auto& [key, bias] : v->items()) {
    int64_t id = -1;
    const auto [end, err] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (err != std::errc() || end != key.data() + key.size() || key.empty() || id < 0 || id >= tok.vocab_size())
      throw ApiError(400, "'logit_bias' key \"" + key + "\" is not a token id in [0, " +
                              std::to_string(tok.vocab_size()) + ")", "logit_bias");
    const double b = bias.is_number() ? bias.get<double>() : NAN;
    if (!(std::fabs(b) <= 100)) bad("logit_bias", must, bias);  // NaN fails too
    out.emplace_back(int32_t(id), float(b));
  }
  return out;
}

// Fields whose meaning this server does not implement, refused rather than silently ignored:
// a client that sends them expects their effect.
void refuse_unsupported(const json& j) {
  if (const json* t = field(j, "tools"); t && !(t->is_array() && t->empty()))
    throw ApiError(400, "'tools' (function calling) is not supported by this server", "tools");
  if (const json* f = field(j, "response_format")) {
    const json* type = f->is_object() ? field(*f, "type") : nullptr;
    if (!type || *type != "text")
      throw ApiError(400, "'response_format' other than {\"type\": \"text\"} (JSON mode, schemas) is not supported",
                     "response_format");
  }
}

std::vector<std::string> stop_strings(const json& j) {
  const json* v = field(j, "stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > 16) throw ApiError(400, "'stop' holds " + std::to_string(v->size()) + " strings, at most 16", "stop");
    for (const auto& s : *v) {
      if (!s.is_string()) bad("stop", "a string or an array of strings", *v);
      out.push_back(s.get<std::string>());
    }
  } else {
    bad("stop", "a string or an array of strings", *v);
  }
  for (const auto& s : out)
    if (s.empty()) throw ApiError(400, "'stop' strings must not be empty", "stop");
  return out;
}

// content: a string, or an array of {"type": "text", "text": ...} parts (concatenated).
std::string message_content(const json& m, size_t i, const std::string& role) {
  const std::string name = "messages[" + std::to_string(i) + "].content";
  auto it = m.find("content");
  if (it == m.end() || it->is_null()) {  // OpenAI: only an assistant turn may leave it out
    if (role == "assistant") return "";
    throw ApiError(400, "'" + name + "' is required for a " + role + " message", name);
  }
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) bad(name, "a string or an array of text parts", *it);
  std::string text;
  for (const auto& part : *it) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      throw ApiError(400, "'" + name + "' parts must be {\"type\": \"text\", \"text\": string}; other kinds are not supported", name);
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<int32_t> chat_prompt(const json& j, const Tokenizer& tok, const ChatTemplate& tmpl) {
  const json* v = field(j, "messages");
  if (!v) throw ApiError(400, "'messages' is required", "messages");
  if (!v->is_array() || v->empty()) bad("messages", "a non-empty array of messages", *v);
  std::vector<ChatMessage> msgs;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& m = (*v)[i];
    const std::string name = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) bad(name, "an object with 'role' and 'content'", m);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) throw ApiError(400, "'" + name + ".role' must be a string", name + ".role");
    msgs.push_back({role->get<std::string>(), message_content(m, i, role->get<std::string>())});
  }
  std::string text;
  try {
    text = render_chat(tmpl, msgs, /*add_generation_prompt=*/true);
  } catch (const Error& e) {
    throw ApiError(400, std::string("messages: ") + e.what(), "messages");
  }
  // The rendered text writes the BOS itself where the template has one.
  return tok.encode(text, {.add_special = false, .parse_special = true});
}

// The completion's prompt field as a list of prompts, each a string or an array of token ids: a
// string, an array of token ids (one prompt), or an array of strings or of token-id arrays.
std::vector<const json*> completion_prompts(const json& j) {
  const json* v = field(j, "prompt");
  if (!v) throw ApiError(400, "'prompt' is required", "prompt");
  const char* must = "a string, an array of strings, an array of token ids, or an array of arrays of token ids";
  if (v->is_string()) return {v};
  if (!v->is_array()) bad("prompt", must, *v);
  const auto all = [&](auto is) { return std::all_of(v->begin(), v->end(), is); };
  if (all([](const json& p) { return p.is_number_integer(); })) return {v};  // empty too: refused as empty
  if (!all([](const json& p) { return p.is_string(); }) && !all([](const json& p) { return p.is_array(); }))
    bad("prompt", must, *v);
  std::vector<const json*> out;
  for (const json& p : *v) out.push_back(&p);
  return out;
}

// One prompt's token ids; `name` is "prompt", or "prompt[i]" in a list of several.
std::vector<int32_t> completion_prompt(const json& p, const std::string& name, const Tokenizer& tok) {
  if (p.is_string()) return tok.encode(p.get<std::string>(), {.add_special = true, .parse_special = true});
  std::vector<int32_t> ids;
  for (const auto& t : p) {
    if (!t.is_number_integer()) bad(name, "a string or an array of token ids", p);
    const int64_t id = t.get<int64_t>();
    if (id < 0 || id >= tok.vocab_size())
      throw ApiError(400, "'" + name + "' token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                              std::to_string(tok.vocab_size()) + ")", name);
    ids.push_back(int32_t(id));
  }
  return ids;
}

}  // namespace

uint64_t choice_seed(uint64_t seed, int j) {
  if (seed == SamplerParams::kRandomSeed) return seed;
  const uint64_t s = seed + uint64_t(j);
  return s < seed || s == SamplerParams::kRandomSeed ? s + 1 : s;  // wrapped past (or onto) kRandomSeed
}

nlohmann::json parse_json_object(std::string_view body) {
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    throw ApiError(400, std::string("the body is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw ApiError(400, std::string("the body must be a JSON object, got ") + j.type_name());
  return j;
}

CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const Tokenizer& tok,
                                           const ChatTemplate& tmpl, const RequestLimits& limits) {
  const json j = parse_json_object(body);
  CompletionRequest r;
  r.endpoint = endpoint;
  if (const json* m = field(j, "model")) {
    if (!m->is_string()) bad("model", "a string", *m);
    r.model = m->get<std::string>();
  }
  r.n = int(integer(j, "n", 1, 16).value_or(1));
  r.stream = boolean(j, "stream").value_or(false);
  if (const json* so = field(j, "stream_options")) {
    if (!so->is_object()) bad("stream_options", "an object", *so);
    r.include_usage = boolean(*so, "include_usage").value_or(false);
  }

  JobRequest job;  // what every choice shares; the prompt and seed are each choice's
  SamplerParams& sp = job.sampling;
  // OpenAI's defaults: temperature 1, top_p 1, no top-k / min-p filtering, no penalties.
  sp.temperature = float(number(j, "temperature", 0, 2).value_or(1.0));
  sp.top_p = float(number(j, "top_p", 0, 1).value_or(1.0));
  sp.top_k = int(integer(j, "top_k", 0, 1 << 20).value_or(0));
  sp.min_p = float(number(j, "min_p", 0, 1).value_or(0.0));
  sp.repeat_penalty = float(number(j, "repeat_penalty", 0.01, 10).value_or(1.0));
  sp.presence_penalty = float(number(j, "presence_penalty", -2, 2).value_or(0.0));
  sp.frequency_penalty = float(number(j, "frequency_penalty", -2, 2).value_or(0.0));
  if (auto seed = integer(j, "seed", INT64_MIN, INT64_MAX)) sp.seed = uint64_t(*seed);
  else sp.seed = SamplerParams::kRandomSeed;
  sp.logit_bias = logit_bias(j, tok);
  refuse_unsupported(j);
  job.stop = stop_strings(j);
  job.ignore_eos = boolean(j, "ignore_eos").value_or(false);

  if (endpoint == Endpoint::chat) {
    r.logprobs = boolean(j, "logprobs").value_or(false);
    const auto top = integer(j, "top_logprobs", 0, 20);
    if (top && !r.logprobs) throw ApiError(400, "'top_logprobs' needs 'logprobs': true", "top_logprobs");
    if (r.logprobs) job.top_logprobs = int(top.value_or(0));
  } else {
    if (auto lp = integer(j, "logprobs", 0, 20)) {
      r.logprobs = true;
      job.top_logprobs = int(*lp);
    }
  }

  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> names;  // each prompt's field, for errors
  // Checked before the prompts are tokenized: the server could never hold them all at once.
  const auto check_choices = [&](size_t n_prompts) {
    if (int64_t(n_prompts) * r.n <= limits.max_choices) return;
    throw ApiError(400, "'n' is " + std::to_string(r.n) +
                            (n_prompts > 1 ? " for each of " + std::to_string(n_prompts) + " prompts (" +
                                                 std::to_string(int64_t(n_prompts) * r.n) + " choices)"
                                           : std::string()) +
                            " but this server holds at most " + std::to_string(limits.max_choices) +
                            " choices at once (slots + queue)", "n");
  };
  if (endpoint == Endpoint::chat) {
    check_choices(1);
    prompts.push_back(chat_prompt(j, tok, tmpl));
    names.emplace_back("messages");
    r.echo.emplace_back();
  } else {
    const std::vector<const json*> items = completion_prompts(j);
    check_choices(items.size());
    const bool echo = boolean(j, "echo").value_or(false);
    for (size_t i = 0; i < items.size(); ++i) {
      names.push_back(items.size() == 1 ? std::string("prompt") : "prompt[" + std::to_string(i) + "]");
      prompts.push_back(completion_prompt(*items[i], names.back(), tok));
      r.echo.push_back(!echo ? "" : items[i]->is_string() ? items[i]->get<std::string>() : tok.decode(prompts.back()));
    }
    // OpenAI's echo with logprobs also scores the prompt's tokens, which this server does not.
    if (echo && r.logprobs)
      throw ApiError(400, "'echo' with 'logprobs' (log-probabilities of the prompt) is not supported", "echo");
  }
  size_t longest = 0;  // the prompt that leaves the least room
  for (size_t i = 0; i < prompts.size(); ++i) {
    const int64_t n_prompt = int64_t(prompts[i].size());
    const std::string& name = names[i];
    const std::string what = prompts.size() > 1 ? "'" + name + "'" : std::string("the prompt");
    if (n_prompt == 0) throw ApiError(400, what + " is empty (no tokens)", name);
    if (n_prompt >= limits.ctx)
      throw ApiError(400, what + " has " + std::to_string(n_prompt) + " tokens; the context holds " +
                              std::to_string(limits.ctx) + " tokens per request (prompt + max_tokens), so at most " +
                              std::to_string(limits.ctx - 1) + " prompt tokens fit",
                     name, "context_length_exceeded");
    if (prompts[i].size() > prompts[longest].size()) longest = i;
  }
  const int64_t n_prompt = int64_t(prompts[longest].size());
  const int64_t room = limits.ctx - n_prompt;
  const char* mt_key = field(j, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  const auto mt = integer(j, mt_key, 1, INT64_MAX);
  if (mt && *mt > room)
    throw ApiError(400, std::string("'") + mt_key + "' is " + std::to_string(*mt) + " but the " +
                            (prompts.size() > 1 ? "longest prompt ('" + names[longest] + "')" : std::string("prompt")) +
                            " has " + std::to_string(n_prompt) + " tokens and the context holds " +
                            std::to_string(limits.ctx) + ": at most " + std::to_string(room) +
                            " tokens can be generated",
                   mt_key, "context_length_exceeded");
  job.timeout_s = limits.timeout_s;
  for (auto& prompt : prompts) {
    for (int c = 0; c < r.n; ++c) {
      JobRequest& choice = r.jobs.emplace_back(job);
      choice.prompt = prompt;
      choice.sampling.seed = choice_seed(sp.seed, c);
      choice.max_tokens = mt ? int(*mt) : int(limits.ctx - int64_t(prompt.size()));  // else until the context is full
    }
  }
  try {
    Sampler check(sp);  // the sampler's own range checks
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  return r;
}

}  // namespace tock::serve
