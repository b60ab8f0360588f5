// Byte-level BPE merge order on a vocabulary small enough to work out by hand.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_vocabs.hpp"
#include "text/tokenizer.hpp"

namespace tock {

using test::bl;
using Ids = std::vector<int32_t>;

// ids: bytes 0..255, then ab 256, bc 257, abc 258, Ġa 259, aa 260, abcd 261 (no merge makes it)
static Vocab small(std::string pre = "gpt-2") {
  return test::byte_vocab({"ab", "bc", "abc", bl(" a"), "aa", "abcd"},
                          {"a b", "b c", "ab c", bl(" ") + " a", "a a"}, std::move(pre));
}

TEST(BpeMerge, LowestRankFirst) {
  Tokenizer t(small());
  EXPECT_EQ(t.encode("abc"), (Ids{258}));  // a b (0) -> ab; ab c (2) -> abc
  // a b (rank 0) beats b c (rank 1) even though b c is further left.
  EXPECT_EQ(t.encode("bcab"), (Ids{257, 256}));
  EXPECT_EQ(t.encode("cab"), (Ids{'c', 256}));
}

TEST(BpeMerge, LeftmostPairWinsATie) {
  Tokenizer t(small());
  EXPECT_EQ(t.encode("aaa"), (Ids{260, 'a'}));
}

TEST(BpeMerge, MergingRunsInsideEachPreTokenizedWord) {
  Tokenizer t(small());
  // " abc" is one word: Ġ a b c -> (a b) -> (ab c); Ġ+abc has no merge. "Ġa" never forms
  // because a b outranks Ġ a.
  EXPECT_EQ(t.encode(" abc"), (Ids{' ', 258}));
  EXPECT_EQ(t.encode(" a"), (Ids{259}));
  EXPECT_EQ(t.encode("ab.ab"), (Ids{256, '.', 256}));
}

TEST(BpeMerge, LongWordsTakeTheHeapPathWithTheSameResult) {
  Tokenizer t(small());
  std::string abc, ab;
  for (int i = 0; i < 20; ++i) abc += "abc";  // 60 bytes: one word, past the short-word path
  for (int i = 0; i < 50; ++i) ab += "ab";
  EXPECT_EQ(t.encode(abc), Ids(20, 258));
  EXPECT_EQ(t.encode(ab), Ids(50, 256));
  Ids b_abc{'b'};
  b_abc.insert(b_abc.end(), 20, 258);  // b a b c ...: a b (rank 0) beats b c (rank 1)
  EXPECT_EQ(t.encode("b" + abc), b_abc);
  Ids aa(20, 260);
  aa.push_back('a');  // 41 a's: pairs taken left to right
  EXPECT_EQ(t.encode(std::string(41, 'a')), aa);
}

TEST(BpeMerge, IgnoreMergesRuleTakesAVocabularyWordWhole) {
  EXPECT_EQ(Tokenizer(small("gpt-2")).encode("abcd"), (Ids{258, 'd'}));
  EXPECT_EQ(Tokenizer(small("llama-bpe")).encode("abcd"), (Ids{261}));
}

TEST(BpeMerge, MergesWithUnknownPartsAreSkippedAndBadSyntaxIsAnError) {
  auto v = small();
  v.merges.push_back("x zz");  // "zz" is not a token: can never apply
  EXPECT_EQ(Tokenizer(std::move(v)).encode("xzz"), (Ids{'x', 'z', 'z'}));
  auto bad = small();
  bad.merges.push_back("nospace");
  try {
    Tokenizer t(std::move(bad));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.merges[5] = 'nospace'"), std::string::npos) << e.what();
  }
}

TEST(BpeMerge, EveryByteSequenceRoundTrips) {
  Tokenizer t(small());
  std::string all;
  for (int b = 0; b < 256; ++b) all += char(b);
  all += "ab\xF0\x9F" "cabc";
  EXPECT_EQ(t.decode(t.encode(all)), all);
}

}  // namespace tock
