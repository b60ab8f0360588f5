// Chat templates: turn a conversation into the prompt text a chat model was trained on.
//
// A GGUF carries its template as Jinja source (`tokenizer.chat_template`, copied from Hugging
// Face's tokenizer_config.json). Tock does not run Jinja: it recognises which family a template
// belongs to from distinctive markers (as llama.cpp's llm_chat_detect_template does) and renders
// that family in C++, byte for byte what the official template renders with Hugging Face's
// apply_chat_template (tests/data/chat_templates/ holds the official sources the tests check).
//
// Families (name for --chat-template, models):
//   chatml      <|im_start|>role\n...<|im_end|>\n          SmolLM2 (the default model), Qwen, Hermes
//   llama3      <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>    Llama 3 Instruct
//   llama2      <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s>     Llama 2 chat
//   gemma       <start_of_turn>user\n...<end_of_turn>\n, assistant is "model"  Gemma, Gemma 2
//   mistral     [INST] ... [/INST]...</s>          Mistral 7B v0.1/v0.2, Mixtral (original templates)
//   mistral-v1   [INST] ... [/INST] ...</s>        Mistral's current "v1" template (v0.1/v0.2)
//   mistral-v3  [INST] ...[/INST] ...</s>          Mistral 7B v0.3 (system goes to the last user turn)
//   phi3        <|user|>\n...<|end|>\n             Phi-3, Phi-3.5 mini
//   zephyr      <|user|>\n...</s>\n                Zephyr, TinyLlama chat
//
// Where an official template refuses a system message (Gemma, the original Mistral ones), Tock
// prepends it to the first user message followed by a blank line, as Gemma 3's and Mistral's "v1"
// templates do. Roles other than system/user/assistant are an error except in ChatML. The rendered
// text includes bos_token where the template writes it: tokenize it parsing special tokens and
// without adding another BOS. Jinja's `trim` is applied as ASCII whitespace stripping.
// Not here: tool calls, multimodal content, the Llama 3.1+ dated system header.
#pragma once
#include <span>
#include <string>
#include <string_view>

namespace tock {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

enum class ChatTemplateKind { chatml, llama3, llama2, gemma, mistral, mistral_v1, mistral_v3, phi3, zephyr };

struct ChatTemplate {
  ChatTemplateKind kind = ChatTemplateKind::chatml;
  // Inserted as a system message when the conversation does not start with one (SmolLM2's and
  // Qwen2's templates do this); "" = none.
  std::string default_system;
  // Mistral-7B-Instruct-v0.1's original template writes "</s> " (with a space) after a reply.
  bool space_after_eos = false;
  // The special tokens as text, as the template writes them (from the model's vocabulary).
  std::string bos_token = "<s>";
  std::string eos_token = "</s>";
};

// Recognises the family of a Jinja chat template (and its default system prompt, when it has one).
// bos_token/eos_token are left at their defaults: set them from the vocabulary. Throws tock::Error
// for an unrecognised template, saying so and listing the names --chat-template accepts.
ChatTemplate detect_chat_template(std::string_view jinja_source);

// "chatml" -> ChatTemplateKind::chatml, ...; an unknown name is an Error listing the known ones.
ChatTemplateKind chat_template_by_name(std::string_view name);
std::string_view chat_template_name(ChatTemplateKind kind);
std::string chat_template_names();  // "chatml, llama3, ...", for help texts and errors

// The prompt text for `messages`; with add_generation_prompt, followed by the header that starts
// the assistant's reply (for the families whose template writes one).
std::string render_chat(const ChatTemplate& tmpl, std::span<const ChatMessage> messages,
                        bool add_generation_prompt);

// For multi-turn chat that keeps its KV cache: the text to append after `history` (rendered
// without a generation prompt) so that the whole equals render_chat(history + added). Throws
// tock::Error when the family re-renders earlier turns (mistral-v3 moves the system prompt to the
// last user turn): the caller must then re-process the whole conversation.
std::string render_chat_continuation(const ChatTemplate& tmpl, std::span<const ChatMessage> history,
                                     std::span<const ChatMessage> added, bool add_generation_prompt);

}  // namespace tock
