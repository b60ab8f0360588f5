// SentencePiece-style BPE (tokenizer.ggml.model = llama), as llama.cpp's llm_tokenizer_spm:
// the text (spaces already replaced by '▁') starts as one symbol per UTF-8 character;
// repeatedly the adjacent pair whose concatenation is a vocabulary token with the highest
// score is merged (leftmost on ties). A final symbol that is not a token falls back to its
// bytes as <0xNN> tokens, or to the unknown token when the vocabulary has no byte tokens
// (consecutive unknowns fuse into one, as SentencePiece does).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "text/vocab.hpp"

namespace tock {

class SpmModel {
 public:
  // `vocab` and `index` must outlive the model.
  SpmModel(const Vocab& vocab, const TokenIndex& index);

  // Appends the ids of `text`, which is already escaped ('▁' for spaces).
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  // The id of a token that merging may produce, or -1 (control, byte, unused tokens are
  // never the result of a merge: they are not text).
  int32_t mergeable(std::string_view text) const;

  const Vocab& vocab_;
  const TokenIndex& index_;
  std::array<int32_t, 256> byte_token_{};
};

}  // namespace tock
