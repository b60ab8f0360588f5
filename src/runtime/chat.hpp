// A multi-turn chat over one Session: each turn appends only the new text to the KV cache
// (the rendered template's continuation), so earlier turns are never processed again.
#pragma once
#include <string>
#include <vector>

#include "runtime/generation.hpp"
#include "text/chat_template.hpp"

namespace tock {

// The model's template, or the named one (--chat-template); bos/eos filled from the vocabulary.
// A model without a template and no name given is an Error saying to pass --chat-template.
ChatTemplate choose_chat_template(const GgufFile& file, const Tokenizer& tok, std::string_view name);

class ChatSession {
 public:
  ChatSession(Model& model, const Tokenizer& tok, ChatTemplate tmpl, SamplerParams sampling,
              int64_t max_positions = 0, std::string system = "");

  // Adds the user's message, generates the assistant's reply (streamed through on_text) and
  // records it. stats.prompt_tokens counts only the tokens this turn added.
  GenerationStats reply(const std::string& user, const GenerateParams& params,
                        const std::function<bool(std::string_view)>& on_text,
                        const std::function<bool()>& cancelled = {});
  void reset();  // forget the conversation (the system message stays)

  const std::vector<ChatMessage>& messages() const { return messages_; }
  Session& session() { return session_; }

 private:
  Session session_;
  ChatTemplate tmpl_;
  std::vector<ChatMessage> messages_;
  std::string system_;
  std::string fed_;  // the text whose tokens are in the cache, in order
};

}  // namespace tock
