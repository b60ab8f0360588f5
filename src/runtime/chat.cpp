#include "runtime/chat.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {

ChatTemplate choose_chat_template(const GgufFile& file, const Tokenizer& tok, std::string_view name) {
  ChatTemplate t;
  if (!name.empty()) {
    t.kind = chat_template_by_name(name);
    // Keep the model's default system prompt when its own template is of the chosen family.
    if (file.has("tokenizer.chat_template")) {
      try {
        ChatTemplate own = detect_chat_template(file.get_string("tokenizer.chat_template"));
        if (own.kind == t.kind) t = own;
      } catch (const Error&) {
      }
    }
  } else {
    if (!file.has("tokenizer.chat_template"))
      fail(file.path(), " has no chat template (tokenizer.chat_template); choose one with --chat-template NAME (",
           chat_template_names(), ")");
    t = detect_chat_template(file.get_string("tokenizer.chat_template"));
  }
  if (tok.bos() >= 0) t.bos_token = tok.token_text(tok.bos());
  if (tok.eos() >= 0) t.eos_token = tok.token_text(tok.eos());
  return t;
}

ChatSession::ChatSession(Model& model, const Tokenizer& tok, ChatTemplate tmpl, SamplerParams sampling,
                         int64_t max_positions, std::string system)
    : session_(model, tok, sampling, max_positions), tmpl_(std::move(tmpl)), system_(std::move(system)) {
  reset();
}

void ChatSession::reset() {
  session_.reset();
  messages_.clear();
  fed_.clear();
  if (!system_.empty()) messages_.push_back({"system", system_});
}

GenerationStats ChatSession::reply(const std::string& user, const GenerateParams& params,
                                   const std::function<bool(std::string_view)>& on_text,
                                   const std::function<bool()>& cancelled) {
  messages_.push_back({"user", user});
  const std::string full = render_chat(tmpl_, messages_, /*add_generation_prompt=*/true);
  std::string delta;
  if (full.compare(0, fed_.size(), fed_) == 0) {
    delta = full.substr(fed_.size());
  } else {  // the template re-rendered earlier turns: start over (rare: e.g. mistral-v3)
    session_.reset();
    fed_.clear();
    delta = full;
  }
  const std::vector<int32_t> ids = session_.tokenizer().encode(delta, {.add_special = false, .parse_special = true});
  try {
    session_.feed(ids, params.prefill_chunk);
  } catch (...) {
    messages_.pop_back();
    throw;
  }
  fed_ += delta;
  GenerationStats stats = session_.generate(params, on_text, cancelled);
  // The cache holds the reply's tokens up to the last one sampled (which was never processed).
  // The reply is those tokens, and at the length limit the last one too (a real token, not an
  // end marker): its text is not in `fed_`, so the next turn's delta feeds it.
  const std::vector<int32_t> kept(stats.tokens.begin(), stats.tokens.begin() + stats.tokens_in_cache);
  fed_ += session_.tokenizer().decode(kept);
  const size_t n_reply = std::min(stats.tokens.size(), size_t(stats.tokens_in_cache) +
                                                           (stats.stop == StopReason::length ? 1 : 0));
  const std::vector<int32_t> reply(stats.tokens.begin(), stats.tokens.begin() + std::ptrdiff_t(n_reply));
  messages_.push_back({"assistant", session_.tokenizer().decode(reply)});
  return stats;
}

}  // namespace tock
