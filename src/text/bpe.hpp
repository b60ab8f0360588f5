// Byte-level BPE merging inside one pre-tokenized word (tokenizer.ggml.model = gpt2).
// A word starts as one symbol per byte (each byte is a token of the byte-level alphabet);
// then the adjacent pair with the lowest merge rank is merged, leftmost first on ties,
// until no pair has a merge. Same order as Hugging Face's BPE::merge_word and llama.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "text/vocab.hpp"

namespace tock {

class BpeModel {
 public:
  // Merges are "left right" (split at the first space after the first byte); a merge
  // whose parts or result are not in the vocabulary can never apply and is skipped.
  BpeModel(const Vocab& vocab, const TokenIndex& index);

  // Appends the ids of `word` (raw bytes). A byte with no token becomes `unk` (if >= 0).
  // Thread-safe; results for short words are cached per thread.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  size_t merge_count() const { return n_merges_; }

 private:
  struct Merge {
    uint64_t key = ~uint64_t(0);  // (left id << 32) | right id; ~0 = empty slot
    int32_t rank = 0;
    int32_t result = 0;
  };
  const Merge* find(int32_t left, int32_t right) const;
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  void merge_long_word(std::string_view word, std::vector<int32_t>& out) const;
  void emit(int32_t id, std::vector<int32_t>& out) const;  // id, or unk for a missing byte
  static constexpr size_t kSmallWord = 32;

  uint64_t id_;  // tags this model's entries in the per-thread word cache

  std::array<int32_t, 256> byte_token_{};
  std::vector<Merge> table_;  // open addressing, power-of-two size, linear probing
  int shift_ = 60;  // 64 - log2(table size)
  size_t n_merges_ = 0;
  int32_t unk_ = -1;
};

}  // namespace tock
