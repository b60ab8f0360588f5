// Text cleaning rules (text_cleaning.hpp) on hand-made cases.
#include <gtest/gtest.h>

#include "text/text_cleaning.hpp"

namespace tock {

const std::string kFFFD = "\xEF\xBF\xBD";

TEST(TextCleaning, ComposesLatinGreekCyrillicToNfc) {
  EXPECT_EQ(clean_text("Cafe\xCC\x81"), "Caf\xC3\xA9");            // e + U+0301 -> é
  EXPECT_EQ(clean_text("A\xCC\x8A"), "\xC3\x85");                  // A + ring -> Å
  EXPECT_EQ(clean_text("\xCE\xB1\xCC\x81"), "\xCE\xAC");           // α + acute -> ά
  EXPECT_EQ(clean_text("\xD0\xB8\xCC\x86"), "\xD0\xB9");           // и + breve -> й
  EXPECT_EQ(clean_text("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul jamo -> 가
  // Canonical reordering: dot below (ccc 220) before dot above (ccc 230) -> ṩ.
  EXPECT_EQ(clean_text("s\xCC\x87\xCC\xA3"), "\xE1\xB9\xA9");
}

TEST(TextCleaning, KeepsCompatibilityCharactersAndCase) {
  EXPECT_EQ(clean_text("\xEF\xAC\x81 x\xC2\xB2 ABC"), "\xEF\xAC\x81 x\xC2\xB2 ABC");  // ﬁ, ² stay
}

TEST(TextCleaning, NormalisesLineEndings) {
  EXPECT_EQ(clean_text("a\r\nb\rc\n"), "a\nb\nc\n");
  EXPECT_EQ(clean_text("\r\r\n\n"), "\n\n\n");
}

TEST(TextCleaning, DropsControlCharactersButNewlineAndTab) {
  EXPECT_EQ(clean_text(std::string("a\0b\x07" "c\td\x7F" "e\x1B[0m\f", 14)), "abc\tde[0m");
  EXPECT_EQ(clean_text("x\xC2\x85y\xC2\x9Fz"), "xyz");  // C1: NEL, APC
  EXPECT_EQ(clean_text("\xEF\xBB\xBFhi\xEF\xBB\xBF"), "hi\xEF\xBB\xBF");  // only a leading BOM
  EXPECT_EQ(clean_text("e\x01\xCC\x81"), "\xC3\xA9");  // control gone first, then composed
}

TEST(TextCleaning, ReplacesInvalidUtf8ByMaximalSubparts) {
  // Expected values as Python's bytes.decode("utf-8", "replace") gives them.
  EXPECT_EQ(repair_utf8("a\xFF" "b"), "a" + kFFFD + "b");
  EXPECT_EQ(repair_utf8("\xE2\x82" "A"), kFFFD + "A");            // truncated 3-byte: one
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98" "A"), kFFFD + "A");        // truncated 4-byte: one
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);  // surrogate: three
  EXPECT_EQ(repair_utf8("\xC0\xAF"), kFFFD + kFFFD);              // overlong
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // > U+10FFFF
  EXPECT_EQ(repair_utf8("\xE2\x82\xAC\xF0\x9F\x98\x80"), "\xE2\x82\xAC\xF0\x9F\x98\x80");  // € 😀
  EXPECT_EQ(repair_utf8("\xE2\x82"), kFFFD);  // at the end
  EXPECT_EQ(clean_text("a\xFF\r\n"), "a" + kFFFD + "\n");
}

TEST(TextCleaning, EmptyAndPlainAsciiUnchanged) {
  EXPECT_EQ(clean_text(""), "");
  EXPECT_EQ(clean_text("Hello, world.\n\tIndented\n"), "Hello, world.\n\tIndented\n");
}

}  // namespace tock
