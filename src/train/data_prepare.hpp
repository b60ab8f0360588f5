// `tock data prepare`: text files -> cleaned documents -> token ids -> train/val shards.
//   1. Read and clean the files (train/corpus.hpp: "%" lines split documents).
//   2. Tokenize each document as plain text (special-token text in the corpus is not
//      turned into control ids) and end it with the tokenizer's EOS token.
//   3. Shuffle the documents with the seed (Fisher-Yates over a SplitMix64 stream, so the
//      order is the same on every platform), then the first round(val_fraction * docs)
//      documents (at least 1 when val_fraction > 0) are the validation split, the rest train.
//   4. Write DIR/train_000.bin, ... and DIR/val_000.bin, ... (token_shard.hpp), at most
//      `shard_tokens` tokens each, then DIR/meta.json last, all atomically. Shards of an
//      earlier run beyond the new count are removed, so DIR holds exactly one data set.
// meta.json: tokenizer path and SHA-256, vocab size, eos id, dtype, cleaning rules version,
// seed, val fraction, sources, and per split the documents, tokens and shard file names.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tock {

struct DataPrepareOptions {
  std::string tokenizer;           // GGUF holding tokenizer.ggml.* keys (a model or a tokenizer)
  std::vector<std::string> files;  // text files
  std::string out_dir;
  double val_fraction = 0.05;
  uint64_t seed = 1337;
  uint64_t shard_tokens = 100'000'000;
};

struct DataPrepareReport {
  uint64_t bytes = 0, docs = 0;
  uint64_t train_docs = 0, val_docs = 0;
  uint64_t train_tokens = 0, val_tokens = 0;
  std::vector<std::string> train_shards, val_shards;  // file names inside out_dir
  uint32_t dtype = 2;
  double seconds = 0;
};

DataPrepareReport prepare_data(const DataPrepareOptions& opt);

// The order prepare_data puts n documents in for `seed` (exposed for tests).
std::vector<uint64_t> shuffled_order(uint64_t n, uint64_t seed);

}  // namespace tock
