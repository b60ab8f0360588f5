// The tokenizer the runtime uses: text -> token ids -> text, for byte-level BPE (GPT-2,
// Llama 3, SmolLM, Qwen2 ...) and SentencePiece-style BPE (Llama 2) vocabularies.
//
// Special tokens: a control token's text (`<|im_start|>`) in the input becomes its single
// id only when `parse_special` is set; otherwise it is tokenized as plain text. As in
// llama.cpp, user-defined tokens (added words, type 4) are always matched. Matching is
// leftmost-longest, as Hugging Face's added-token matcher does.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/vocab.hpp"

namespace tock {

class GgufFile;
class PreTokenizer;
class BpeModel;
class SpmModel;

struct EncodeOptions {
  bool add_special = false;    // add BOS/EOS where the model asks (add_bos_token, ...)
  bool parse_special = false;  // control-token text in the input becomes single ids
};

class Tokenizer {
 public:
  // Validates the vocabulary (sizes, ids in range, merge syntax): Error names the field.
  explicit Tokenizer(Vocab vocab);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Reads the tokenizer.ggml.* keys; a missing or ill-typed key is an Error naming it.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);
  static Vocab read_vocab(const GgufFile& file);

  std::vector<int32_t> encode(std::string_view text, EncodeOptions opt = {}) const;
  // Concatenated pieces. skip_special drops control and unknown tokens. A SentencePiece
  // vocabulary with add_space_prefix drops the space its encoder added before the text.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;
  // The bytes a token stands for (may be part of a UTF-8 character); control tokens give
  // their text. Throws for an id out of range.
  const std::string& piece(int32_t id) const;
  // The vocabulary entry as stored (byte-level alphabet / '▁' form).
  const std::string& token_text(int32_t id) const;
  std::optional<int32_t> token_id(std::string_view token_text) const;

  int32_t vocab_size() const { return int32_t(vocab_.tokens.size()); }
  TokenizerKind kind() const { return vocab_.kind; }
  // The pre-tokenizer rule in use ("smollm", "gpt-2", ...; "" for SentencePiece).
  const std::string& pre_rule() const;
  int32_t bos() const { return vocab_.bos; }
  int32_t eos() const { return vocab_.eos; }
  int32_t eot() const { return vocab_.eot; }  // end of turn, e.g. <|im_end|>; -1 if none
  int32_t unk() const { return vocab_.unk; }
  int32_t pad() const { return vocab_.pad; }
  bool adds_bos() const { return vocab_.add_bos; }
  bool adds_eos() const { return vocab_.add_eos; }
  TokenType type(int32_t id) const;
  bool is_control(int32_t id) const { return type(id) == TokenType::Control; }
  // End of generation: eos, eot and the control tokens that end a turn by name.
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_; }

  // Used by StreamingDecoder: whether decode() drops a leading space of the first piece.
  bool strips_leading_space() const;

 private:
  void check_id(int32_t id) const;
  void encode_text(std::string_view text, std::vector<int32_t>& out) const;

  Vocab vocab_;
  TokenIndex index_;                  // token text -> id (first occurrence wins)
  std::vector<std::string> pieces_;   // id -> bytes
  std::vector<int32_t> eog_;
  // Tokens matched in the input before tokenizing, by first byte, longest first.
  std::array<std::vector<int32_t>, 256> specials_;
  TokenIndex whole_words_;            // ignore_merges rules: raw word bytes -> id
  std::unique_ptr<PreTokenizer> pre_;
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<SpmModel> spm_;
};

}  // namespace tock
