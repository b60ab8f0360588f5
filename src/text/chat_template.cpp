#include "text/chat_template.hpp"

#include <array>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace tock {

namespace {

constexpr std::array<std::pair<ChatTemplateKind, std::string_view>, 9> kNames = {{
    {ChatTemplateKind::chatml, "chatml"},
    {ChatTemplateKind::llama3, "llama3"},
    {ChatTemplateKind::llama2, "llama2"},
    {ChatTemplateKind::gemma, "gemma"},
    {ChatTemplateKind::mistral, "mistral"},
    {ChatTemplateKind::mistral_v1, "mistral-v1"},
    {ChatTemplateKind::mistral_v3, "mistral-v3"},
    {ChatTemplateKind::phi3, "phi3"},
    {ChatTemplateKind::zephyr, "zephyr"},
}};

bool has(std::string_view s, std::string_view marker) { return s.find(marker) != std::string_view::npos; }

// Jinja's `trim` filter is Python's str.strip(); we strip ASCII whitespace.
std::string trim(std::string_view s) {
  constexpr std::string_view ws = " \t\n\r\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

// Undoes the escapes of a Jinja string literal (\n, \t, \\, \', \").
std::string unescape_jinja(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
  }
  return out;
}

// A ChatML template that writes a fixed system message when the conversation has none, e.g.
// SmolLM2: {% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are
// ...<|im_end|>\n' }}{% endif %}. Returns that message's text, or "" when there is none.
std::string chatml_default_system(std::string_view src) {
  if (!has(src, "!= 'system'") && !has(src, "!= \"system\"")) return {};
  constexpr std::string_view head = "<|im_start|>system";
  const size_t at = src.find(head);
  if (at == std::string_view::npos) return {};
  size_t b = at + head.size();
  if (src.compare(b, 1, "\n") == 0) b += 1;
  else if (src.compare(b, 2, "\\n") == 0) b += 2;
  else return {};
  const size_t e = src.find("<|im_end|>", b);
  if (e == std::string_view::npos) return {};
  const std::string_view text = src.substr(b, e - b);
  // A literal only: a template that splices in a variable here has no fixed default.
  for (char c : text)
    if (c == '\'' || c == '"' || c == '{' || c == '+') return {};
  return unescape_jinja(text);
}

[[noreturn]] void unrecognised(std::string_view src, std::string_view why) {
  std::string head(src.substr(0, 80));
  for (char& c : head)
    if (c == '\n') c = ' ';
  fail("chat template: ", why, " (template begins \"", head, src.size() > 80 ? "...\"" : "\"",
       "); choose one with --chat-template NAME, one of: ", chat_template_names());
}

void check_role(const ChatMessage& m, ChatTemplateKind kind) {
  if (m.role == "system" || m.role == "user" || m.role == "assistant") return;
  fail("chat template ", chat_template_name(kind), ": role '", m.role,
       "' is not supported (system, user, assistant)");
}

// The conversation as the family sees it: the default system message inserted where the template
// would, and the leading system message split off for families that place it themselves.
struct Conversation {
  bool has_system = false;
  std::string system;
  std::vector<ChatMessage> turns;  // after the system message
};

Conversation split(const ChatTemplate& t, std::span<const ChatMessage> messages) {
  Conversation c;
  size_t first = 0;
  if (!messages.empty() && messages[0].role == "system") {
    c.has_system = true;
    c.system = messages[0].content;
    first = 1;
  } else if (!messages.empty() && !t.default_system.empty()) {
    c.has_system = true;
    c.system = t.default_system;
  }
  c.turns.assign(messages.begin() + static_cast<ptrdiff_t>(first), messages.end());
  for (const auto& m : c.turns) {
    if (t.kind != ChatTemplateKind::chatml) check_role(m, t.kind);
    if (m.role == "system" && t.kind != ChatTemplateKind::chatml && t.kind != ChatTemplateKind::llama3 &&
        t.kind != ChatTemplateKind::phi3 && t.kind != ChatTemplateKind::zephyr)
      fail("chat template ", chat_template_name(t.kind),
           ": a system message is only allowed as the first message");
  }
  return c;
}

std::string render_chatml(const Conversation& c, bool gen) {
  std::string out;
  auto turn = [&](std::string_view role, std::string_view text) {
    out.append("<|im_start|>").append(role).append("\n").append(text).append("<|im_end|>\n");
  };
  if (c.has_system) turn("system", c.system);
  for (const auto& m : c.turns) turn(m.role, m.content);
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

std::string render_llama3(const ChatTemplate& t, const Conversation& c, bool gen) {
  std::string out = t.bos_token;  // written before the first message
  auto turn = [&](std::string_view role, std::string_view text) {
    out.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n");
    out.append(trim(text)).append("<|eot_id|>");
  };
  if (c.has_system) turn("system", c.system);
  for (const auto& m : c.turns) turn(m.role, m.content);
  if (c.turns.empty() && !c.has_system) out.clear();  // no message, no bos
  if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// Llama 2 chat: the system message goes inside the first [INST] between <<SYS>> markers; each user
// turn opens with bos, each reply ends with eos. No generation prompt: the reply follows [/INST].
std::string render_llama2(const ChatTemplate& t, const Conversation& c) {
  std::string out;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    const auto& m = c.turns[i];
    std::string content = m.content;
    if (i == 0 && c.has_system) content = std::string("<<SYS>>\n").append(c.system).append("\n<</SYS>>\n\n").append(m.content);
    if (m.role == "user") out.append(t.bos_token).append("[INST] ").append(trim(content)).append(" [/INST]");
    else out.append(" ").append(trim(content)).append(" ").append(t.eos_token);
  }
  return out;
}

// Prepends the system message to the first user message, followed by a blank line (Gemma 3's and
// Mistral "v1"'s rule, used where the official template has no system role).
std::string with_system(const Conversation& c, size_t i) {
  const auto& m = c.turns[i];
  return (i == 0 && c.has_system) ? std::string(c.system).append("\n\n").append(m.content) : m.content;
}

std::string render_gemma(const ChatTemplate& t, const Conversation& c, bool gen) {
  std::string out = t.bos_token;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    const auto& m = c.turns[i];
    const bool model = m.role == "assistant";
    out.append("<start_of_turn>").append(model ? "model" : m.role).append("\n");
    if (i == 0 && c.has_system) out.append(c.system).append("\n\n");  // not trimmed, as Gemma 3
    out.append(trim(m.content)).append("<end_of_turn>\n");
  }
  if (gen) out += "<start_of_turn>model\n";
  return out;
}

std::string render_mistral(const ChatTemplate& t, const Conversation& c) {
  std::string out = t.bos_token;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    if (c.turns[i].role == "user") out.append("[INST] ").append(with_system(c, i)).append(" [/INST]");
    else out.append(c.turns[i].content).append(t.eos_token).append(t.space_after_eos ? " " : "");
  }
  return out;
}

std::string render_mistral_v1(const ChatTemplate& t, const Conversation& c) {
  std::string out = t.bos_token;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    if (c.turns[i].role == "user") out.append(" [INST] ").append(with_system(c, i)).append(" [/INST]");
    else out.append(" ").append(c.turns[i].content).append(t.eos_token);
  }
  return out;
}

// Mistral v3: the system message is prepended to the last user message (the official template
// compares messages by value, so an earlier identical user message would get it too; we use the
// position).
std::string render_mistral_v3(const ChatTemplate& t, const Conversation& c) {
  size_t last_user = c.turns.size();
  for (size_t i = 0; i < c.turns.size(); ++i)
    if (c.turns[i].role == "user") last_user = i;
  std::string out = t.bos_token;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    const auto& m = c.turns[i];
    if (m.role == "user") {
      out.append("[INST] ");
      if (i == last_user && c.has_system) out.append(c.system).append("\n\n");
      out.append(m.content).append("[/INST]");
    } else {
      out.append(" ").append(trim(m.content)).append(t.eos_token);
    }
  }
  return out;
}

std::string render_phi3(const ChatTemplate& t, const Conversation& c, bool gen) {
  std::string out;
  auto turn = [&](std::string_view role, std::string_view text) {
    out.append("<|").append(role).append("|>\n").append(text).append("<|end|>\n");
  };
  if (c.has_system && !c.system.empty()) turn("system", c.system);  // Phi-3.5 skips an empty one
  for (const auto& m : c.turns) turn(m.role, m.content);
  out += gen ? std::string("<|assistant|>\n") : t.eos_token;
  return out;
}

std::string render_zephyr(const ChatTemplate& t, const Conversation& c, bool gen) {
  std::string out;
  auto turn = [&](std::string_view role, std::string_view text) {
    out.append("<|").append(role).append("|>\n").append(text).append(t.eos_token).append("\n");
  };
  if (c.has_system) turn("system", c.system);
  for (const auto& m : c.turns) turn(m.role, m.content);
  if (gen && (c.has_system || !c.turns.empty())) out += "<|assistant|>\n";  // written in the loop
  return out;
}

}  // namespace

std::string_view chat_template_name(ChatTemplateKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "?";
}

std::string chat_template_names() {
  std::string out;
  for (const auto& [k, name] : kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

ChatTemplateKind chat_template_by_name(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  fail("chat template: unknown name '", name, "'; known: ", chat_template_names());
}

ChatTemplate detect_chat_template(std::string_view src) {
  ChatTemplate t;
  if (src.empty()) unrecognised(src, "the model has no chat template");
  if (has(src, "<|im_start|>")) {
    t.kind = ChatTemplateKind::chatml;
    t.default_system = chatml_default_system(src);
  } else if (has(src, "<|start_header_id|>") && has(src, "<|end_header_id|>")) {
    if (has(src, "Cutting Knowledge Date"))
      unrecognised(src, "this is a Llama 3.1+ template (dated system header, tools), which Tock "
                        "does not render; --chat-template llama3 gives the Llama 3 layout");
    t.kind = ChatTemplateKind::llama3;
  } else if (has(src, "<start_of_turn>")) {
    t.kind = ChatTemplateKind::gemma;
  } else if (has(src, "[INST]")) {
    if (has(src, "<<SYS>>")) t.kind = ChatTemplateKind::llama2;
    else if (has(src, "[SYSTEM_PROMPT]")) unrecognised(src, "this Mistral [SYSTEM_PROMPT] template is not supported");
    else if (has(src, "[AVAILABLE_TOOLS]") || has(src, "\"[INST] \"")) t.kind = ChatTemplateKind::mistral_v3;
    else if (has(src, "' [INST] '")) t.kind = ChatTemplateKind::mistral_v1;
    else if (has(src, "'[INST] '")) {
      t.kind = ChatTemplateKind::mistral;
      t.space_after_eos = has(src, "eos_token + ' '");
    } else {
      unrecognised(src, "an [INST] template of an unknown Mistral/Llama 2 variant");
    }
  } else if (has(src, "<|user|>") && has(src, "<|end|>")) {
    t.kind = ChatTemplateKind::phi3;
  } else if (has(src, "<|user|>") && has(src, "<|assistant|>") && has(src, "eos_token")) {
    t.kind = ChatTemplateKind::zephyr;
  } else {
    unrecognised(src, "not recognised as any supported family");
  }
  return t;
}

std::string render_chat(const ChatTemplate& t, std::span<const ChatMessage> messages,
                        bool add_generation_prompt) {
  const Conversation c = split(t, messages);
  switch (t.kind) {
    case ChatTemplateKind::chatml: return render_chatml(c, add_generation_prompt);
    case ChatTemplateKind::llama3: return render_llama3(t, c, add_generation_prompt);
    case ChatTemplateKind::llama2: return render_llama2(t, c);
    case ChatTemplateKind::gemma: return render_gemma(t, c, add_generation_prompt);
    case ChatTemplateKind::mistral: return render_mistral(t, c);
    case ChatTemplateKind::mistral_v1: return render_mistral_v1(t, c);
    case ChatTemplateKind::mistral_v3: return render_mistral_v3(t, c);
    case ChatTemplateKind::phi3: return render_phi3(t, c, add_generation_prompt);
    case ChatTemplateKind::zephyr: return render_zephyr(t, c, add_generation_prompt);
  }
  fail("chat template: unknown kind ", static_cast<int>(t.kind));
}

std::string render_chat_continuation(const ChatTemplate& t, std::span<const ChatMessage> history,
                                     std::span<const ChatMessage> added, bool add_generation_prompt) {
  std::vector<ChatMessage> all(history.begin(), history.end());
  all.insert(all.end(), added.begin(), added.end());
  const std::string past = render_chat(t, history, false);
  std::string whole = render_chat(t, all, add_generation_prompt);
  // Phi-3 ends a conversation without generation prompt with eos: that tail is not part of the
  // history the model saw, so compare without it.
  std::string_view p = past;
  if (t.kind == ChatTemplateKind::phi3 && p.ends_with(t.eos_token)) p.remove_suffix(t.eos_token.size());
  if (!std::string_view(whole).starts_with(p))
    fail("chat template ", chat_template_name(t.kind),
         ": adding a turn re-renders earlier ones; the whole conversation must be re-processed");
  return whole.substr(p.size());
}

}  // namespace tock
