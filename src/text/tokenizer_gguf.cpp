// Tokenizer construction from a GGUF file's tokenizer.ggml.* metadata.
// Key names: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md#tokenizer
#include "core/error.hpp"
#include "io/gguf.hpp"
#include "text/tokenizer.hpp"

namespace tock {

namespace {

int32_t read_id(const GgufFile& f, const char* key) {
  const int64_t v = f.get_int(key, -1);
  if (v < -1 || v > INT32_MAX) fail("tokenizer: ", key, " = ", v, " is not a token id");
  return int32_t(v);
}

}  // namespace

Vocab Tokenizer::read_vocab(const GgufFile& f) {
  Vocab v;
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model == "gpt2")
    v.kind = TokenizerKind::BytePairBpe;
  else if (model == "llama")
    v.kind = TokenizerKind::SentencePiece;
  else
    fail("tokenizer: ", f.path(), ": tokenizer.ggml.model = '", model,
         "' is not supported (supported: gpt2, llama)");
  const bool spm = v.kind == TokenizerKind::SentencePiece;

  v.tokens = f.get("tokenizer.ggml.tokens").as_strings("tokenizer.ggml.tokens");
  if (const GgufValue* t = f.find("tokenizer.ggml.token_type")) {
    for (int32_t x : t->as_ints("tokenizer.ggml.token_type")) v.types.push_back(TokenType(x));
  }
  if (const GgufValue* s = f.find("tokenizer.ggml.scores"))
    v.scores = s->as_floats("tokenizer.ggml.scores");
  if (!spm) {
    v.merges = f.get("tokenizer.ggml.merges").as_strings("tokenizer.ggml.merges");
    v.pre = f.get_string("tokenizer.ggml.pre", std::string("default"));
  }
  v.bos = read_id(f, "tokenizer.ggml.bos_token_id");
  v.eos = read_id(f, "tokenizer.ggml.eos_token_id");
  v.eot = read_id(f, "tokenizer.ggml.eot_token_id");
  v.unk = read_id(f, "tokenizer.ggml.unknown_token_id");
  v.pad = read_id(f, "tokenizer.ggml.padding_token_id");
  // Defaults as llama.cpp's: SentencePiece vocabularies add BOS and a space prefix.
  v.add_bos = f.get_bool("tokenizer.ggml.add_bos_token", spm);
  v.add_eos = f.get_bool("tokenizer.ggml.add_eos_token", false);
  v.add_space_prefix = f.get_bool("tokenizer.ggml.add_space_prefix", spm);
  return v;
}

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  return std::make_unique<Tokenizer>(read_vocab(f));
}

}  // namespace tock
