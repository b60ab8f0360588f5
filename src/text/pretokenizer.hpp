// Pre-tokenizers of byte-level BPE models: the regex rules that cut text into words
// before BPE merges run inside each word, chosen by the GGUF key `tokenizer.ggml.pre`.
//
// A rule is a list of regexes applied in turn: each one splits every current fragment
// into its matches and the text between them (both kept, in order), like Hugging Face's
// Split(behavior = Isolated) and llama.cpp's unicode_regex_split. Regexes run on PCRE2 with
// UTF + UCP (real Unicode classes), JIT-compiled when the library supports it. `\s` is
// widened to Unicode White_Space (adds U+0085) to match Hugging Face's Oniguruma engine.
//
// Known names: gpt-2 (also gpt2, default, mpt, olmo, jais, phi-2, ...), smollm (also
// starcoder, refact, command-r, codeshell, exaone, minerva), llama-bpe (llama3, dbrx,
// smaug-bpe), qwen2 (stablelm2, hunyuan), tekken, chatglm-bpe. An unknown name falls back
// to the GPT-2 rule: `rule_name()` then says "gpt-2" so callers can tell.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tock {

class PreTokenizer {
 public:
  // The rule for a `tokenizer.ggml.pre` value (see the list above).
  static PreTokenizer for_name(std::string_view pre);
  // A rule from explicit regexes (tests, experiments).
  PreTokenizer(std::string rule_name, const std::vector<std::string>& regexes,
               bool ignore_merges);

  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Appends the words of `text` to `out`; they are views into `text` and cover it exactly.
  // Bytes that are not valid UTF-8 become one-byte words of their own.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

  const std::string& rule_name() const { return name_; }
  // Llama 3's rule: a word that is already a vocabulary entry is taken whole, unmerged.
  bool ignore_merges() const { return ignore_merges_; }

 private:
  struct Regex;
  void split_valid(std::string_view text, std::vector<std::string_view>& out) const;
  std::string name_;
  std::vector<std::unique_ptr<Regex>> regexes_;
  bool ignore_merges_ = false;
};

}  // namespace tock
