// Expected splits transcribed from Hugging Face tokenizers 0.23 (ByteLevel, Split with the
// same rules) on the same strings, with the byte-level mapping undone.
#include "text/pretokenizer.hpp"

#include <gtest/gtest.h>

namespace tock {

using Words = std::vector<std::string>;

static Words split(std::string_view pre, std::string_view text) {
  std::vector<std::string_view> out;
  PreTokenizer::for_name(pre).split(text, out);
  return Words(out.begin(), out.end());
}

TEST(PreTokenizer, Gpt2RuleKeepsDigitRunsAndTrailingSpaceBeforeNewlines) {
  EXPECT_EQ(split("gpt-2", "Hello world's 12345 ok  \n\nend"),
            (Words{"Hello", " world", "'s", " 12345", " ok", "  \n", "\n", "end"}));
  EXPECT_EQ(split("gpt-2", "I'M here!!\n\n  x"),
            (Words{"I", "'", "M", " here", "!!", "\n\n ", " x"}));
}

TEST(PreTokenizer, SmollmRuleIsolatesEveryUnicodeDigit) {
  EXPECT_EQ(split("smollm", "Hello world's 12345 ok  \n\nend"),
            (Words{"Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " ok", "  \n", "\n", "end"}));
  // Arabic-Indic digits are \p{N} too: not an ASCII approximation.
  EXPECT_EQ(split("smollm", "  hello \xD9\xA1\xD9\xA2\xD9\xA3" "4567  "),
            (Words{" ", " hello", " ", "\xD9\xA1", "\xD9\xA2", "\xD9\xA3", "4", "5", "6", "7", "  "}));
}

TEST(PreTokenizer, LlamaBpeRuleGroupsDigitsByThreeAndFoldsContractionCase) {
  EXPECT_EQ(split("llama-bpe", "Hello world's 12345 ok  \n\nend"),
            (Words{"Hello", " world", "'s", " ", "123", "45", " ok", "  \n\n", "end"}));
  EXPECT_EQ(split("llama-bpe", "I'M here!!\n\n  x"),
            (Words{"I", "'M", " here", "!!\n\n", " ", " x"}));
  EXPECT_TRUE(PreTokenizer::for_name("llama-bpe").ignore_merges());
  EXPECT_FALSE(PreTokenizer::for_name("smollm").ignore_merges());
}

TEST(PreTokenizer, NextLineU0085IsWhitespaceAsInHuggingFace) {
  // PCRE2's own \s lacks U+0085; HF (Oniguruma) keeps "\x85 \x85" as one whitespace run.
  EXPECT_EQ(split("gpt-2", "x\xC2\x85 \xC2\x85"), (Words{"x", "\xC2\x85 \xC2\x85"}));
  EXPECT_EQ(split("llama-bpe", "x\xC2\x85 \xC2\x85"), (Words{"x", "\xC2\x85 \xC2\x85"}));
}

TEST(PreTokenizer, InvalidUtf8BytesBecomeWordsOfTheirOwn) {
  EXPECT_EQ(split("gpt-2", "ab\xFF" "cd \xC3"), (Words{"ab", "\xFF", "cd", " ", "\xC3"}));
}

TEST(PreTokenizer, UnknownNameFallsBackToGpt2Rule) {
  EXPECT_EQ(PreTokenizer::for_name("no-such-rule").rule_name(), "gpt-2");
  EXPECT_EQ(PreTokenizer::for_name("starcoder").rule_name(), "smollm");
}

TEST(PreTokenizer, WordsCoverTheTextExactly) {
  const std::string text = "Ünïcödé  \t mixed 日本語テキスト 😀👍🏽 and\r\nCRLF  ";
  for (auto pre : {"gpt-2", "smollm", "llama-bpe", "qwen2", "tekken"}) {
    std::string joined;
    for (auto& w : split(pre, text)) joined += w;
    EXPECT_EQ(joined, text) << pre;
  }
}

}  // namespace tock
