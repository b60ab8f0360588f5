// Chat templates: detection on the official template sources (tests/data/chat_templates/*.jinja,
// each model's tokenizer_config.json chat_template) and rendering checked against them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "text/chat_template.hpp"

namespace tock {
namespace {

std::string fixture(const std::string& name) {
  const std::string path = std::string(TOCK_TEST_DATA_DIR) + "/chat_templates/" + name + ".jinja";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("missing fixture " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const std::vector<ChatMessage> kConversation = {
    {"system", "You are a helpful assistant"}, {"user", "Hello"},
    {"assistant", "Hi there"},                 {"user", "Who are you"},
    {"assistant", "   I am an assistant   "},  {"user", "Another question"},
};

struct Case {
  const char* fixture;
  const char* bos;
  const char* eos;
  bool with_system;
  bool add_generation_prompt;
  const char* expected;
};

// Expected strings: each fixture rendered by Python's jinja2 the way Hugging Face's
// apply_chat_template does (sandboxed environment, trim_blocks, lstrip_blocks, raise_exception),
// with kConversation (or kConversation without its system message, for templates that refuse one).
const Case kCases[] = {
    {"HuggingFaceH4-zephyr-7b-beta", "<s>", "</s>", true, true,
     "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n<|assistant|>\n"},
    {"HuggingFaceH4-zephyr-7b-beta", "<s>", "</s>", true, false,
     "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n"},
    {"HuggingFaceH4-zephyr-7b-beta", "<s>", "</s>", false, true,
     "<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n<|assistant|>\n"},
    {"HuggingFaceH4-zephyr-7b-beta", "<s>", "</s>", false, false,
     "<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n"},
    {"HuggingFaceTB-SmolLM2-135M-Instruct", "<|im_start|>", "<|im_end|>", true, true,
     "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"},
    {"HuggingFaceTB-SmolLM2-135M-Instruct", "<|im_start|>", "<|im_end|>", true, false,
     "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"},
    {"HuggingFaceTB-SmolLM2-135M-Instruct", "<|im_start|>", "<|im_end|>", false, true,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"},
    {"HuggingFaceTB-SmolLM2-135M-Instruct", "<|im_start|>", "<|im_end|>", false, false,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"},
    {"Qwen-Qwen2-7B-Instruct", "", "<|im_end|>", true, true,
     "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"},
    {"Qwen-Qwen2-7B-Instruct", "", "<|im_end|>", true, false,
     "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"},
    {"Qwen-Qwen2-7B-Instruct", "", "<|im_end|>", false, true,
     "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"},
    {"Qwen-Qwen2-7B-Instruct", "", "<|im_end|>", false, false,
     "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"},
    {"google-gemma-2b-it", "<bos>", "<eos>", false, true,
     "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n"},
    {"google-gemma-2b-it", "<bos>", "<eos>", false, false,
     "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n"},
    {"meta-llama-Llama-2-7b-chat-hf", "<s>", "</s>", true, true,
     "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"},
    {"meta-llama-Llama-2-7b-chat-hf", "<s>", "</s>", true, false,
     "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"},
    {"meta-llama-Llama-2-7b-chat-hf", "<s>", "</s>", false, true,
     "<s>[INST] Hello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"},
    {"meta-llama-Llama-2-7b-chat-hf", "<s>", "</s>", false, false,
     "<s>[INST] Hello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"},
    {"meta-llama-Meta-Llama-3-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>", true, true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"meta-llama-Meta-Llama-3-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>", true, false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"},
    {"meta-llama-Meta-Llama-3-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>", false, true,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"meta-llama-Meta-Llama-3-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>", false, false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"},
    {"microsoft-Phi-3-mini-4k-instruct", "<s>", "<|endoftext|>", true, true,
     "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n"},
    {"microsoft-Phi-3-mini-4k-instruct", "<s>", "<|endoftext|>", true, false,
     "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|endoftext|>"},
    {"microsoft-Phi-3-mini-4k-instruct", "<s>", "<|endoftext|>", false, true,
     "<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n"},
    {"microsoft-Phi-3-mini-4k-instruct", "<s>", "<|endoftext|>", false, false,
     "<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|endoftext|>"},
    {"mistralai-Mistral-7B-Instruct-v0.1-original", "<s>", "</s>", false, true,
     "<s>[INST] Hello [/INST]Hi there</s> [INST] Who are you [/INST]   I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.1-original", "<s>", "</s>", false, false,
     "<s>[INST] Hello [/INST]Hi there</s> [INST] Who are you [/INST]   I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.1", "<s>", "</s>", true, true,
     "<s> [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.1", "<s>", "</s>", true, false,
     "<s> [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.1", "<s>", "</s>", false, true,
     "<s> [INST] Hello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.1", "<s>", "</s>", false, false,
     "<s> [INST] Hello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.3", "<s>", "</s>", true, true,
     "<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n\nAnother question[/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.3", "<s>", "</s>", true, false,
     "<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n\nAnother question[/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.3", "<s>", "</s>", false, true,
     "<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]"},
    {"mistralai-Mistral-7B-Instruct-v0.3", "<s>", "</s>", false, false,
     "<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]"},
    {"mistralai-Mixtral-8x7B-Instruct-v0.1-original", "<s>", "</s>", false, true,
     "<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"},
    {"mistralai-Mixtral-8x7B-Instruct-v0.1-original", "<s>", "</s>", false, false,
     "<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"},
};

TEST(ChatTemplate, RendersExactlyWhatTheOfficialTemplateRenders) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.fixture) + (c.with_system ? " +system" : " -system") +
                 (c.add_generation_prompt ? " +gen" : " -gen"));
    ChatTemplate t = detect_chat_template(fixture(c.fixture));
    t.bos_token = c.bos;
    t.eos_token = c.eos;
    std::span<const ChatMessage> msgs = kConversation;
    if (!c.with_system) msgs = msgs.subspan(1);
    EXPECT_EQ(render_chat(t, msgs, c.add_generation_prompt), c.expected);
  }
}

TEST(ChatTemplate, DetectsEachFamilyFromItsOfficialTemplate) {
  const std::pair<const char*, ChatTemplateKind> want[] = {
      {"HuggingFaceTB-SmolLM2-135M-Instruct", ChatTemplateKind::chatml},
      {"Qwen-Qwen2-7B-Instruct", ChatTemplateKind::chatml},
      {"meta-llama-Meta-Llama-3-8B-Instruct", ChatTemplateKind::llama3},
      {"meta-llama-Llama-2-7b-chat-hf", ChatTemplateKind::llama2},
      {"google-gemma-2b-it", ChatTemplateKind::gemma},
      {"mistralai-Mistral-7B-Instruct-v0.1-original", ChatTemplateKind::mistral},
      {"mistralai-Mixtral-8x7B-Instruct-v0.1-original", ChatTemplateKind::mistral},
      {"mistralai-Mistral-7B-Instruct-v0.1", ChatTemplateKind::mistral_v1},
      {"mistralai-Mistral-7B-Instruct-v0.3", ChatTemplateKind::mistral_v3},
      {"microsoft-Phi-3-mini-4k-instruct", ChatTemplateKind::phi3},
      {"HuggingFaceH4-zephyr-7b-beta", ChatTemplateKind::zephyr},
  };
  for (const auto& [name, kind] : want) {
    EXPECT_EQ(chat_template_name(detect_chat_template(fixture(name)).kind), chat_template_name(kind))
        << name;
  }
}

TEST(ChatTemplate, DefaultSystemPromptIsExtractedFromTheTemplate) {
  EXPECT_EQ(detect_chat_template(fixture("HuggingFaceTB-SmolLM2-135M-Instruct")).default_system,
            "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
  EXPECT_EQ(detect_chat_template(fixture("Qwen-Qwen2-7B-Instruct")).default_system,
            "You are a helpful assistant.");
  // Plain ChatML (OpenHermes) has none.
  EXPECT_EQ(detect_chat_template("{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                                 "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}")
                .default_system,
            "");
}

TEST(ChatTemplate, MistralOriginalV01WritesASpaceAfterEos) {
  EXPECT_TRUE(detect_chat_template(fixture("mistralai-Mistral-7B-Instruct-v0.1-original")).space_after_eos);
  EXPECT_FALSE(detect_chat_template(fixture("mistralai-Mixtral-8x7B-Instruct-v0.1-original")).space_after_eos);
}

// Templates that refuse a system role: Tock prepends it to the first user turn + blank line.
TEST(ChatTemplate, GemmaFoldsSystemIntoFirstUserTurn) {
  ChatTemplate t{ChatTemplateKind::gemma, "", false, "<bos>", "<eos>"};
  const std::vector<ChatMessage> m = {{"system", "Be brief."}, {"user", " Hi "}};
  EXPECT_EQ(render_chat(t, m, true),
            "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplate, MistralFoldsSystemIntoFirstUserTurn) {
  ChatTemplate t{ChatTemplateKind::mistral, "", false, "<s>", "</s>"};
  const std::vector<ChatMessage> m = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Yo"}};
  EXPECT_EQ(render_chat(t, m, true), "<s>[INST] Be brief.\n\nHi [/INST]Yo</s>");
}

TEST(ChatTemplate, ChatmlKeepsAnyRoleAndEmptyConversation) {
  ChatTemplate t;  // chatml, no default system
  const std::vector<ChatMessage> m = {{"user", "Hi"}, {"tool", "42"}};
  EXPECT_EQ(render_chat(t, m, false), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>tool\n42<|im_end|>\n");
  EXPECT_EQ(render_chat(t, {}, true), "<|im_start|>assistant\n");
}

TEST(ChatTemplate, UnsupportedRoleIsAnError) {
  ChatTemplate t{ChatTemplateKind::llama3, "", false, "<|begin_of_text|>", "<|eot_id|>"};
  const std::vector<ChatMessage> m = {{"tool", "42"}};
  EXPECT_THROW(render_chat(t, m, true), Error);
}

TEST(ChatTemplate, UnrecognisedTemplateIsAnErrorListingTheNames) {
  try {
    detect_chat_template("{% for m in messages %}### {{ m['role'] }}: {{ m['content'] }}{% endfor %}");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("not recognised"), std::string::npos) << what;
    EXPECT_NE(what.find("--chat-template"), std::string::npos) << what;
    EXPECT_NE(what.find("chatml, llama3"), std::string::npos) << what;
  }
  EXPECT_THROW(detect_chat_template(""), Error);
}

TEST(ChatTemplate, NamesRoundTripAndUnknownNameIsAnError) {
  for (auto k : {ChatTemplateKind::chatml, ChatTemplateKind::llama3, ChatTemplateKind::llama2,
                 ChatTemplateKind::gemma, ChatTemplateKind::mistral, ChatTemplateKind::mistral_v1,
                 ChatTemplateKind::mistral_v3, ChatTemplateKind::phi3, ChatTemplateKind::zephyr})
    EXPECT_EQ(chat_template_by_name(chat_template_name(k)), k);
  try {
    chat_template_by_name("alpaca");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("zephyr"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, ContinuationIsTheTextAfterTheHistory) {
  ChatTemplate t = detect_chat_template(fixture("HuggingFaceTB-SmolLM2-135M-Instruct"));
  const std::vector<ChatMessage> history = {{"user", "Hello"}, {"assistant", "Hi there"}};
  const std::vector<ChatMessage> added = {{"user", "Who are you"}};
  EXPECT_EQ(render_chat_continuation(t, history, added, true),
            "<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n");
  // The first turn: the history is empty; the default system message comes with it.
  EXPECT_EQ(render_chat_continuation(t, {}, history, false), render_chat(t, history, false));

  ChatTemplate phi{ChatTemplateKind::phi3, "", false, "<s>", "<|endoftext|>"};
  EXPECT_EQ(render_chat_continuation(phi, history, added, true),
            "<|user|>\nWho are you<|end|>\n<|assistant|>\n");

  ChatTemplate v3{ChatTemplateKind::mistral_v3, "", false, "<s>", "</s>"};
  const std::vector<ChatMessage> sys_history = {{"system", "S"}, {"user", "Hello"}, {"assistant", "Hi"}};
  EXPECT_THROW(render_chat_continuation(v3, sys_history, added, true), Error);
}

}  // namespace
}  // namespace tock
