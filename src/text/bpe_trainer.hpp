// Byte-level BPE training (GPT-2 style): learns merges from text and returns a `Vocab` that
// `Tokenizer` loads like any model's, and that `write_tokenizer_gguf` stores as GGUF
// tokenizer.ggml.* metadata.
//
// The algorithm is Hugging Face tokenizers' BpeTrainer (models/bpe/trainer.rs), so that the
// same text and settings give the same merges:
//   - text is cut into words by the pre-tokenizer rule (GPT-2's regex by default); words
//     are counted, and each word starts as its bytes;
//   - the pair counts of all words are kept in a table, with a max-heap of (count, pair,
//     words holding it); each step pops the most frequent pair, merges it in just the
//     words that hold it and updates the counts of the pairs around each merge site, so a
//     merge costs the words it touches, not a recount of the corpus. Heap entries are
//     checked lazily: one whose count is stale is re-pushed with the current count.
//   - Tie-break (deterministic): the highest count first; among equal counts the pair
//     (left id, right id) that is smallest, comparing left ids first. Ids are the order in
//     which tokens enter the vocabulary: the 256 byte tokens ordered by their GPT-2
//     byte-level code point (as in GPT-2's own vocabulary and HF's sorted alphabet), then
//     each merge's token as it is made.
//   - Training stops when the vocabulary reaches `vocab_size`, when no pair is left, or
//     when the best pair occurs fewer than `min_frequency` times.
// The vocabulary: 256 byte tokens, then one token per merge (a merge whose string is
// already a token reuses it), then the special tokens (control type). Merges that produce
// the same pair twice (a lazy-heap corner HF also has) are listed once.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/vocab.hpp"

namespace tock {

struct BpeTrainerOptions {
  int32_t vocab_size = 4096;          // all tokens: 256 bytes + merges + specials
  std::vector<std::string> specials;  // appended last, type Control; first EOS-like one is eos/bos
  int64_t min_frequency = 2;          // a pair seen fewer times is not merged
  std::string pre = "gpt-2";          // pre-tokenizer rule (see pretokenizer.hpp)
};

struct BpeTrainStats {
  uint64_t bytes = 0;         // text given to add_text
  uint64_t words = 0;         // pre-tokenized words, with repeats
  uint64_t unique_words = 0;
  int32_t merges = 0;
  int64_t last_merge_count = 0;  // frequency of the last pair merged
  double count_seconds = 0;   // pre-tokenizing and counting
  double merge_seconds = 0;
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainerOptions opt);
  ~BpeTrainer();
  BpeTrainer(const BpeTrainer&) = delete;
  BpeTrainer& operator=(const BpeTrainer&) = delete;

  // Pre-tokenizes one document and counts its words (documents never share a word).
  void add_text(std::string_view text);
  // add_text for many documents, counted on the thread pool (per-thread tables, then summed).
  void add_texts(const std::vector<std::string>& docs);
  // Adds a word `count` times, bypassing the pre-tokenizer (tests, word-count files).
  void add_word(std::string_view word, int64_t count);

  // Learns the merges. Errors: vocab_size too small for the bytes and specials, duplicate
  // or empty special tokens.
  Vocab train();
  const BpeTrainStats& stats() const { return stats_; }

 private:
  struct Impl;
  BpeTrainerOptions opt_;
  BpeTrainStats stats_;
  Impl* impl_;
};

// Writes a tensor-less GGUF holding just the tokenizer (tokenizer.ggml.model "gpt2", pre,
// tokens, token_type, merges, bos/eos ids), atomically. `name` goes to general.name.
void write_tokenizer_gguf(const Vocab& vocab, const std::string& path, const std::string& name);

}  // namespace tock
