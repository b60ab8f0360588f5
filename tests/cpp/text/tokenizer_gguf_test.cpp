// Tokenizer::from_gguf on small in-memory GGUF images: the keys it reads and its errors.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "test_vocabs.hpp"
#include "text/tokenizer.hpp"

namespace tock {

static GgufWriter chat_gguf() {
  Vocab v = test::byte_vocab({"ab", "<|im_start|>", "<|im_end|>"}, {"a b"}, "smollm");
  std::vector<int32_t> types(v.tokens.size(), 1);
  types[257] = types[258] = 3;
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string("smollm"));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(v.tokens));
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings(v.merges));
  w.set("tokenizer.ggml.bos_token_id", GgufValue::of_u32(257));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(258));
  return w;
}

static std::string error_of(const GgufWriter& w) {
  const auto bytes = w.to_bytes();
  try {
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size(), "t.gguf");
    Tokenizer::from_gguf(f);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TokenizerFromGguf, ReadsVocabularyMergesSpecialIdsAndRule) {
  const auto bytes = chat_gguf().to_bytes();
  const GgufFile f = GgufFile::parse(bytes.data(), bytes.size());
  const auto t = Tokenizer::from_gguf(f);
  EXPECT_EQ(t->vocab_size(), 259);
  EXPECT_EQ(t->kind(), TokenizerKind::BytePairBpe);
  EXPECT_EQ(t->pre_rule(), "smollm");
  EXPECT_EQ(t->bos(), 257);
  EXPECT_EQ(t->eos(), 258);
  EXPECT_EQ(t->eot(), 258);  // <|im_end|> by name
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(t->encode("<|im_start|>ab12", {.parse_special = true}),
            (std::vector<int32_t>{257, 256, '1', '2'}));
}

TEST(TokenizerFromGguf, MissingOrIllTypedKeysAreNamed) {
  GgufWriter w = chat_gguf();
  w.set("tokenizer.ggml.model", GgufValue::of_string("bert"));
  EXPECT_NE(error_of(w).find("tokenizer.ggml.model = 'bert' is not supported"), std::string::npos) << error_of(w);
  w = chat_gguf();
  w.set("tokenizer.ggml.tokens", GgufValue::of_u32(7));
  EXPECT_NE(error_of(w).find("tokenizer.ggml.tokens"), std::string::npos) << error_of(w);
  w = chat_gguf();
  w.set("tokenizer.ggml.bos_token_id", GgufValue::of_string("one"));
  EXPECT_NE(error_of(w).find("tokenizer.ggml.bos_token_id"), std::string::npos) << error_of(w);
  w = chat_gguf();
  w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(5000));
  EXPECT_NE(error_of(w).find("eos_token_id = 5000 is outside the vocabulary"), std::string::npos) << error_of(w);

  GgufWriter no_merges;
  no_merges.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  no_merges.set("tokenizer.ggml.tokens", GgufValue::of_strings({"a"}));
  EXPECT_NE(error_of(no_merges).find("tokenizer.ggml.merges"), std::string::npos) << error_of(no_merges);
  GgufWriter no_model;
  EXPECT_NE(error_of(no_model).find("tokenizer.ggml.model"), std::string::npos) << error_of(no_model);
}

}  // namespace tock
