// Small hand-made vocabularies for the tokenizer unit tests.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "text/byte_level.hpp"
#include "text/utf8.hpp"
#include "text/vocab.hpp"

namespace tock::test {

// The byte-level text of raw bytes, e.g. " a" -> "Ġa".
inline std::string bl(std::string_view raw) { return byte_level_encode(raw); }

// Byte-level BPE: ids 0..255 are the 256 byte tokens (id == byte value), then `extra`
// tokens, then the given merges ("left right" in byte-level text).
inline Vocab byte_vocab(std::vector<std::string> extra, std::vector<std::string> merges,
                        std::string pre = "gpt-2") {
  Vocab v;
  v.kind = TokenizerKind::BytePairBpe;
  v.pre = std::move(pre);
  for (int b = 0; b < 256; ++b) v.tokens.push_back(bl(std::string(1, char(b))));
  for (auto& e : extra) v.tokens.push_back(e);
  v.types.assign(v.tokens.size(), TokenType::Normal);
  v.merges = std::move(merges);
  return v;
}

// SentencePiece: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then `pieces` with scores.
inline Vocab spm_vocab(std::vector<std::pair<std::string, float>> pieces) {
  Vocab v;
  v.kind = TokenizerKind::SentencePiece;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    v.tokens.push_back(buf);
    v.types.push_back(TokenType::Byte);
  }
  for (auto& [t, s] : pieces) {
    v.tokens.push_back(t);
    v.types.push_back(TokenType::Normal);
  }
  v.scores.assign(v.tokens.size(), 0.f);
  for (size_t i = 0; i < pieces.size(); ++i) v.scores[259 + i] = pieces[i].second;
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  v.add_space_prefix = true;
  return v;
}

}  // namespace tock::test
