// The data a tokenizer is built from: the vocabulary with its token types, scores and
// merges, the special token ids and the flags. `Tokenizer::from_gguf` fills it from the
// `tokenizer.ggml.*` keys; tests and the BPE trainer fill it by hand.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tock {

// GGUF token types (tokenizer.ggml.token_type), numbered as in llama.cpp.
enum class TokenType : int32_t {
  Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

enum class TokenizerKind {
  BytePairBpe,    // tokenizer.ggml.model = gpt2: byte-level BPE, merges by rank
  SentencePiece,  // tokenizer.ggml.model = llama: SentencePiece BPE, merges by score
};

struct Vocab {
  TokenizerKind kind = TokenizerKind::BytePairBpe;
  std::string pre = "default";          // byte-level BPE only: pre-tokenizer rule name
  std::vector<std::string> tokens;      // token text as stored (byte-level or with '▁')
  std::vector<TokenType> types;         // empty: all Normal
  std::vector<float> scores;            // SentencePiece only; empty: all 0
  std::vector<std::string> merges;      // byte-level BPE only: "left right", rank = index
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  int32_t eot = -1;                     // -1: found by name (<|im_end|>, <|eot_id|>, ...)
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = false;        // SentencePiece: a '▁' before the text
};

// Hash that lets unordered maps keyed by std::string be searched with a string_view.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIndex = std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>>;

}  // namespace tock
