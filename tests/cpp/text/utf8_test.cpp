#include "text/utf8.hpp"

#include <gtest/gtest.h>

namespace tock {

TEST(Utf8, NextDecodesAndSkipsMalformedBytesOneAtATime) {
  const std::string s = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xFF";  // a é 日 😀 0xFF
  size_t i = 0;
  EXPECT_EQ(utf8_next(s, i), 0x61u);
  EXPECT_EQ(utf8_next(s, i), 0xE9u);
  EXPECT_EQ(utf8_next(s, i), 0x65E5u);
  EXPECT_EQ(utf8_next(s, i), 0x1F600u);
  EXPECT_EQ(utf8_next(s, i), 0xFFu);
  EXPECT_EQ(i, s.size());
}

TEST(Utf8, AppendEncodesEachLength) {
  std::string s;
  for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u}) utf8_append(s, cp);
  EXPECT_EQ(s, "\x24\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88");
}

TEST(Utf8, CompletePrefixHoldsBackOnlyAnUnfinishedCharacter) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xF0\x9F"), 2u);      // 2 of 4 bytes of an emoji
  EXPECT_EQ(utf8_complete_prefix("ab\xF0\x9F\x98"), 2u);  // 3 of 4
  EXPECT_EQ(utf8_complete_prefix("ab\xF0\x9F\x98\x80"), 6u);
  EXPECT_EQ(utf8_complete_prefix("\xE6"), 0u);
  EXPECT_EQ(utf8_complete_prefix("x\x80"), 2u);  // stray continuation: never completes
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
}

TEST(Utf8, ValidPrefixRejectsOverlongSurrogateAndTooLarge) {
  EXPECT_EQ(utf8_valid_prefix("h\xC3\xA9llo"), 6u);
  EXPECT_EQ(utf8_valid_prefix("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(utf8_valid_prefix("ab\xED\xA0\x80"), 2u);      // surrogate U+D800
  EXPECT_EQ(utf8_valid_prefix("ab\xF4\x90\x80\x80"), 2u);  // U+110000
  EXPECT_EQ(utf8_valid_prefix("ab\xE6\x97"), 2u);          // truncated
}

}  // namespace tock
