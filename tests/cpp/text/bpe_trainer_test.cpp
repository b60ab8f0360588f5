// BPE training on hand-worked corpora: merge order, tie-breaks, stopping rules, the
// vocabulary layout and the GGUF round trip. (Parity with Hugging Face tokenizers'
// BpeTrainer on real text: tests/python/test_tokenizer_train.py.)
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "text/bpe_trainer.hpp"
#include "text/tokenizer.hpp"

namespace tock {

// Byte-level ids: the printable bytes 0x21-0x7E come first, in order, so 'a' is 0x61 - 0x21.
constexpr int32_t id_of(char c) { return int32_t(c) - 0x21; }

// "aaabdaaabac", one word. Pair counts: aa 4, ab 2, bd da ba ac 1.
//  1. "a a" (4) -> [aa a b d aa a b a c]; now (aa,a) 2 and (a,b) 2 tie: (a,b) has the
//     smaller left id (a=64 < aa=256), so
//  2. "a b" -> [aa ab d aa ab a c]; (aa,ab) 2
//  3. "aa ab" -> [aaab d aaab a c]; all pairs 1: (a,c) = (64,66) is the smallest
//  4. "a c" -> [aaab d aaab ac]
TEST(BpeTrainer, ClassicExampleMergesByCountThenSmallestIds) {
  BpeTrainer t({.vocab_size = 260, .specials = {}, .min_frequency = 1});
  t.add_word("aaabdaaabac", 1);
  const Vocab v = t.train();
  EXPECT_EQ(v.merges, (std::vector<std::string>{"a a", "a b", "aa ab", "a c"}));
  ASSERT_EQ(v.tokens.size(), 260u);
  EXPECT_EQ(v.tokens[256], "aa");
  EXPECT_EQ(v.tokens[257], "ab");
  EXPECT_EQ(v.tokens[258], "aaab");
  EXPECT_EQ(v.tokens[259], "ac");
  const Tokenizer tok(v);
  EXPECT_EQ(tok.encode("aaabdaaabac"), (std::vector<int32_t>{258, id_of('d'), 258, 259}));
}

TEST(BpeTrainer, ByteTokensComeInGpt2Order) {
  BpeTrainer t({.vocab_size = 256, .specials = {}});
  t.add_text("hello");
  const Vocab v = t.train();
  ASSERT_EQ(v.tokens.size(), 256u);
  EXPECT_EQ(v.tokens[0], "!");
  EXPECT_EQ(v.tokens[93], "~");            // 0x7E
  EXPECT_EQ(v.tokens[94], "\xC2\xA1");     // 0xA1 stands for itself
  EXPECT_EQ(v.tokens[188], "\xC4\x80");    // byte 0x00 -> U+0100, first of the remapped
  EXPECT_EQ(v.tokens[188 + 32], "\xC4\xA0");  // space -> 'Ġ' U+0120
  EXPECT_TRUE(v.merges.empty());
}

TEST(BpeTrainer, WordCountsWeighMerges) {
  // "ab" (3) first, then "cd" (2); "ef" (1) is below min_frequency and training stops.
  BpeTrainer t({.vocab_size = 300, .specials = {}, .min_frequency = 2});
  t.add_word("ab", 3);
  t.add_word("cd", 2);
  t.add_word("ef", 1);  // below min_frequency: never merged
  const Vocab v = t.train();
  EXPECT_EQ(v.merges, (std::vector<std::string>{"a b", "c d"}));
  EXPECT_EQ(v.tokens.size(), 258u);  // stopped early, below vocab_size
}

TEST(BpeTrainer, EqualCountsBreakTiesBySmallerLeftThenRightId) {
  BpeTrainer t({.vocab_size = 259, .specials = {}, .min_frequency = 1});
  t.add_word("zy", 1);
  t.add_word("bx", 1);
  t.add_word("bc", 1);
  const Vocab v = t.train();
  EXPECT_EQ(v.merges, (std::vector<std::string>{"b c", "b x", "z y"}));
}

TEST(BpeTrainer, SpaceIsPartOfTheWordAndSpelledInByteLevel) {
  BpeTrainer t({.vocab_size = 257, .specials = {}, .min_frequency = 1});
  for (int i = 0; i < 3; ++i) t.add_text("x x x");  // words "x", " x", " x"
  const Vocab v = t.train();
  ASSERT_EQ(v.merges.size(), 1u);
  EXPECT_EQ(v.merges[0], "\xC4\xA0 x");  // "Ġ x"
  EXPECT_EQ(v.tokens[256], "\xC4\xA0x");
}

TEST(BpeTrainer, SpecialsFollowMergesAsControlTokensWithEos) {
  BpeTrainer t({.vocab_size = 259, .specials = {"<pad>", "<|endoftext|>"}, .min_frequency = 1});
  t.add_text("abab");
  const Vocab v = t.train();
  ASSERT_EQ(v.tokens.size(), 259u);
  EXPECT_EQ(v.tokens[257], "<pad>");
  EXPECT_EQ(v.tokens[258], "<|endoftext|>");
  EXPECT_EQ(v.types[258], TokenType::Control);
  EXPECT_EQ(v.types[256], TokenType::Normal);
  EXPECT_EQ(v.eos, 258);
  EXPECT_EQ(v.bos, 258);
}

TEST(BpeTrainer, RejectsTooSmallVocabularyAndBadSpecials) {
  BpeTrainer a({.vocab_size = 256, .specials = {"<s>"}});
  EXPECT_THROW(a.train(), Error);
  BpeTrainer b({.vocab_size = 300, .specials = {"<s>", "<s>"}});
  try {
    b.train();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'<s>' is given twice"), std::string::npos);
  }
  BpeTrainer c({.vocab_size = 300, .specials = {""}});
  EXPECT_THROW(c.train(), Error);
}

TEST(BpeTrainer, GgufRoundTripLoadsAsAModelTokenizer) {
  BpeTrainer t({.vocab_size = 270, .specials = {"<|endoftext|>"}, .min_frequency = 1});
  t.add_text("the cat sat on the mat; the cat ate the rat");
  const Vocab v = t.train();
  const std::string path = (std::filesystem::temp_directory_path() / "tock_bpe_trainer_test.gguf").string();
  write_tokenizer_gguf(v, path, "test");
  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "gpt-2");
  EXPECT_TRUE(f.tensors().empty());
  const auto tok = Tokenizer::from_gguf(f);
  EXPECT_EQ(tok->vocab_size(), int32_t(v.tokens.size()));
  EXPECT_EQ(tok->eos(), int32_t(v.tokens.size()) - 1);
  EXPECT_TRUE(tok->is_control(tok->eos()));
  const Tokenizer direct(v);
  const std::string text = "the cat sat; a rat ate the mat.";
  EXPECT_EQ(tok->encode(text), direct.encode(text));
  EXPECT_EQ(tok->decode(tok->encode(text)), text);
  EXPECT_LT(tok->encode(" the cat").size(), 8u);  // learned merges are used
  std::remove(path.c_str());
}

}  // namespace tock
