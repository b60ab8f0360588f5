// SentencePiece-style BPE on a hand-made vocabulary: merges follow scores, not ranks.
#include <gtest/gtest.h>

#include "test_vocabs.hpp"
#include "text/tokenizer.hpp"

namespace tock {

using Ids = std::vector<int32_t>;

// <unk> 0, <s> 1, </s> 2, <0xNN> 3+NN, then ▁ 259, a 260, b 261, c 262, ab 263, ▁a 264,
// bc 265, ▁ab 266.
static Vocab small() {
  return test::spm_vocab({{"\xE2\x96\x81", -1}, {"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2},
                          {"\xE2\x96\x81" "a", -3}, {"bc", -1.5f}, {"\xE2\x96\x81" "ab", -4}});
}

TEST(SpmMerge, HighestScoreFirstWithSpacePrefix) {
  Tokenizer t(small());
  // "▁abc": candidates ▁a -3, ab -2, bc -1.5 -> bc; then ▁a -> [▁a][bc] ("▁abc" is no token).
  EXPECT_EQ(t.encode("abc"), (Ids{264, 265}));
  EXPECT_EQ(t.encode("abc", {.add_special = true}), (Ids{1, 264, 265}));
}

TEST(SpmMerge, ByteFallbackForCharactersOutsideTheVocabulary) {
  Tokenizer t(small());
  // "▁ab▁é": ab (-2) then ▁ab (-4); é is not a piece -> its bytes C3 A9.
  const Ids ids = t.encode("ab \xC3\xA9");
  EXPECT_EQ(ids, (Ids{266, 259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t.decode(ids), "ab \xC3\xA9");  // the prefix space is taken away again
  EXPECT_EQ(t.piece(3 + 0xC3), "\xC3");
  EXPECT_EQ(t.piece(266), " ab");
}

TEST(SpmMerge, SpecialTokensSplitTheTextAndEachPartGetsTheSpacePrefix) {
  Tokenizer t(small());
  EXPECT_EQ(t.encode("a</s>b", {.parse_special = true}), (Ids{264, 2, 259, 261}));
  EXPECT_EQ(t.encode("a</s>b"), (Ids{264, 3 + '<', 3 + '/', 3 + 's', 3 + '>', 261}));
}

TEST(SpmMerge, WithoutByteTokensUnknownCharactersFuseIntoOneUnk) {
  Vocab v;
  v.kind = TokenizerKind::SentencePiece;
  v.tokens = {"<unk>", "\xE2\x96\x81", "a"};
  v.types = {TokenType::Unknown, TokenType::Normal, TokenType::Normal};
  v.unk = 0;
  v.add_space_prefix = true;
  Tokenizer t(std::move(v));
  EXPECT_EQ(t.encode("a\xC3\xA9\xC3\xA9" "a"), (Ids{1, 2, 0, 2}));
}

TEST(SpmMerge, EmptyTextGivesNoTokens) {
  Tokenizer t(small());
  EXPECT_EQ(t.encode(""), Ids{});
  EXPECT_EQ(t.encode("", {.add_special = true}), (Ids{1}));
}

}  // namespace tock
