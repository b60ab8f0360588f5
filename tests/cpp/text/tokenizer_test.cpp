// Special tokens, options, end-of-generation ids and error messages.
#include "text/tokenizer.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_vocabs.hpp"

namespace tock {

using Ids = std::vector<int32_t>;

// bytes 0..255, then <|im_start|> 256, <|im_end|> 257, <|im 258 (control), <tool> 259 (user).
static Vocab chat_vocab() {
  Vocab v = test::byte_vocab({"<|im_start|>", "<|im_end|>", "<|im", "<tool>"}, {});
  v.types[256] = v.types[257] = v.types[258] = TokenType::Control;
  v.types[259] = TokenType::UserDefined;
  v.bos = 256;
  return v;
}

static Ids bytes(std::string_view s) { return Ids(s.begin(), s.end()); }

TEST(Tokenizer, ControlTokenTextBecomesOneIdOnlyWithParseSpecial) {
  Tokenizer t(chat_vocab());
  EXPECT_EQ(t.encode("x<|im_start|>y", {.parse_special = true}), (Ids{'x', 256, 'y'}));
  EXPECT_EQ(t.encode("x<|im_start|>y"), bytes("x<|im_start|>y"));
}

TEST(Tokenizer, SpecialMatchingIsLeftmostLongest) {
  Tokenizer t(chat_vocab());
  EXPECT_EQ(t.encode("<|im_end|><|im<|im_", {.parse_special = true}),
            (Ids{257, 258, 258, '_'}));
}

TEST(Tokenizer, UserDefinedTokensAreAlwaysMatched) {
  Tokenizer t(chat_vocab());
  EXPECT_EQ(t.encode("a<tool>b"), (Ids{'a', 259, 'b'}));
}

TEST(Tokenizer, AddSpecialAddsBosOnlyWhenTheModelAsks) {
  Vocab v = chat_vocab();
  EXPECT_EQ(Tokenizer(chat_vocab()).encode("a", {.add_special = true}), (Ids{'a'}));
  v.add_bos = true;
  v.add_eos = true;
  v.eos = 257;
  EXPECT_EQ(Tokenizer(std::move(v)).encode("a", {.add_special = true}), (Ids{256, 'a', 257}));
}

TEST(Tokenizer, EndOfTurnFoundByNameAndEndOfGenerationSet) {
  Tokenizer t(chat_vocab());
  EXPECT_EQ(t.eot(), 257);
  EXPECT_TRUE(t.is_eog(257));
  EXPECT_FALSE(t.is_eog(256));
  EXPECT_TRUE(t.is_control(256));
  EXPECT_FALSE(t.is_control('a'));
}

TEST(Tokenizer, DecodeRendersOrSkipsControlTokens) {
  Tokenizer t(chat_vocab());
  const Ids ids{256, 'h', 'i', 259, 257};
  EXPECT_EQ(t.decode(ids), "<|im_start|>hi<tool><|im_end|>");
  EXPECT_EQ(t.decode(ids, /*skip_special=*/true), "hi<tool>");
  EXPECT_EQ(t.piece(' '), " ");
  EXPECT_EQ(t.token_text(' '), "\xC4\xA0");
  EXPECT_EQ(t.token_id("<|im_end|>"), 257);
  EXPECT_EQ(t.token_id("nope"), std::nullopt);
}

static std::string error_of(Vocab v) {
  try {
    Tokenizer t(std::move(v));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Tokenizer, BadVocabulariesAreErrorsNamingTheField) {
  Vocab v = chat_vocab();
  v.types.pop_back();
  EXPECT_NE(error_of(v).find("tokenizer.ggml.token_type has 259 entries, tokens has 260"), std::string::npos);
  v = chat_vocab();
  v.bos = 999;
  EXPECT_NE(error_of(v).find("tokenizer.ggml.bos_token_id = 999 is outside the vocabulary of 260"), std::string::npos);
  v = chat_vocab();
  v.types[3] = TokenType(9);
  EXPECT_NE(error_of(v).find("token_type[3] = 9"), std::string::npos);
  v = chat_vocab();
  v.tokens.clear();
  v.types.clear();
  EXPECT_NE(error_of(v).find("tokens is empty"), std::string::npos);
  Tokenizer t(chat_vocab());
  EXPECT_THROW(t.piece(260), Error);
  EXPECT_THROW(t.decode(Ids{-1}), Error);
}

}  // namespace tock
