#include "text/byte_level.hpp"

#include <gtest/gtest.h>

namespace tock {

TEST(ByteLevel, SpaceNewlineAndPrintablesMapAsGpt2Does) {
  EXPECT_EQ(byte_to_codepoint(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(byte_to_codepoint('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(byte_to_codepoint(0), 0x100u);
  EXPECT_EQ(byte_to_codepoint('A'), uint32_t('A'));
  EXPECT_EQ(byte_to_codepoint(0xAD), 0x143u);  // soft hyphen is remapped (last of 0xA1-0xAD gap)
  EXPECT_EQ(byte_to_codepoint(0xE9), 0xE9u);
  EXPECT_EQ(byte_level_encode(" hi\n"), "\xC4\xA0hi\xC4\x8A");  // "ĠhiĊ"
}

TEST(ByteLevel, EveryByteRoundTripsAndExactly68AreRemapped) {
  int remapped = 0;
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all += char(b);
    EXPECT_EQ(byte_from_codepoint(byte_to_codepoint(uint8_t(b))), b);
    remapped += byte_to_codepoint(uint8_t(b)) != uint32_t(b);
  }
  EXPECT_EQ(remapped, 68);
  EXPECT_EQ(byte_level_decode(byte_level_encode(all)), all);
}

TEST(ByteLevel, DecodeCopiesCodePointsOutsideTheAlphabet) {
  EXPECT_EQ(byte_level_decode("a\xE2\x96\x81" "b"), "a\xE2\x96\x81" "b");  // '▁' is not a byte
}

}  // namespace tock
