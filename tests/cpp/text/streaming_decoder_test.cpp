#include "text/streaming_decoder.hpp"

#include <gtest/gtest.h>

#include "test_vocabs.hpp"
#include "text/utf8.hpp"

namespace tock {

TEST(StreamingDecoder, NeverEmitsHalfACharacter) {
  // Byte tokens only: every multi-byte character is split across tokens.
  Tokenizer t(test::byte_vocab({}, {}));
  const std::string text = "a\xC3\xA9 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB \xE6\x97\xA5\xE6\x9C\xAC";  // aé 👩‍💻 日本
  StreamingDecoder d(t);
  std::vector<std::string> outs;
  for (int32_t id : t.encode(text)) outs.push_back(d.push(id));
  std::string all;
  for (auto& o : outs) {
    EXPECT_EQ(utf8_valid_prefix(o), o.size()) << "partial UTF-8 emitted";
    all += o;
  }
  all += d.flush();
  EXPECT_EQ(all, text);
  EXPECT_EQ(outs[1], "");              // first byte of é held back
  EXPECT_EQ(outs[2], "\xC3\xA9");      // ... and released with the second
  EXPECT_EQ(outs[4] + outs[5] + outs[6], "");  // 3 of 4 bytes of 👩
}

TEST(StreamingDecoder, FlushReleasesAnUnfinishedTail) {
  Tokenizer t(test::byte_vocab({}, {}));
  StreamingDecoder d(t);
  EXPECT_EQ(d.push('x'), "x");
  EXPECT_EQ(d.push(0xE6), "");
  EXPECT_EQ(d.flush(), "\xE6");
}

TEST(StreamingDecoder, SentencePieceDropsThePrefixSpaceOnceAndSkipsControlTokens) {
  Tokenizer t(test::spm_vocab({{"\xE2\x96\x81", -1}, {"a", -1}, {"b", -1}, {"\xE2\x96\x81" "ab", -4},
                               {"ab", -2}}));
  const auto ids = t.encode("ab ab \xC3\xA9", {.add_special = true});
  StreamingDecoder d(t, /*skip_special=*/true);
  std::string all;
  for (int32_t id : ids) all += d.push(id);
  all += d.flush();
  EXPECT_EQ(all, "ab ab \xC3\xA9");
  EXPECT_EQ(all, t.decode(ids, true));
}

}  // namespace tock
