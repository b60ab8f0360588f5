// Data preparation (see data_prepare.hpp).
#include "train/data_prepare.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "text/text_cleaning.hpp"
#include "text/tokenizer.hpp"
#include "train/atomic_file.hpp"
#include "train/corpus.hpp"
#include "train/random.hpp"
#include "train/token_shard.hpp"

namespace tock {

namespace {

std::string shard_name(const std::string& split, size_t k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_%03zu.bin", split.c_str(), k);
  return buf;
}

// Concatenates documents (each followed by eos) into shards of at most max_tokens.
std::vector<std::string> write_split(const std::string& dir, const std::string& split,
                                     const std::vector<std::vector<int32_t>>& docs,
                                     const std::vector<uint64_t>& order, int32_t eos, uint32_t dtype,
                                     uint64_t max_tokens, uint64_t& total) {
  std::vector<std::string> names;
  std::vector<int32_t> buf;
  auto flush = [&] {
    names.push_back(shard_name(split, names.size()));
    write_token_shard(dir + "/" + names.back(), buf, dtype);
    total += buf.size();
    buf.clear();
  };
  for (uint64_t d : order) {
    for (int32_t t : docs[d]) {
      buf.push_back(t);
      if (buf.size() == max_tokens) flush();
    }
    buf.push_back(eos);
    if (buf.size() == max_tokens) flush();
  }
  if (!buf.empty() || names.empty()) flush();
  // Remove shards an earlier, larger run left behind.
  for (size_t k = names.size();; ++k) {
    const std::string stale = dir + "/" + shard_name(split, k);
    if (std::remove(stale.c_str()) != 0) break;
  }
  return names;
}

}  // namespace

std::vector<uint64_t> shuffled_order(uint64_t n, uint64_t seed) {
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i) order[i] = i;
  SplitMix64 rng(seed);
  for (uint64_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

DataPrepareReport prepare_data(const DataPrepareOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!(opt.val_fraction >= 0 && opt.val_fraction < 1))
    fail("data prepare: --val-fraction ", opt.val_fraction, " is not in [0, 1)");
  if (opt.shard_tokens < 2) fail("data prepare: shard size ", opt.shard_tokens, " tokens is too small");
  if (opt.files.empty()) fail("data prepare: no input files");

  const GgufFile file = GgufFile::open(opt.tokenizer);
  const auto tok = Tokenizer::from_gguf(file);
  const int32_t eos = tok->eos();
  if (eos < 0)
    fail("data prepare: tokenizer '", opt.tokenizer,
         "' has no EOS token (tokenizer.ggml.eos_token_id), needed to separate documents");

  const Corpus corpus = read_corpus(opt.files);
  if (corpus.docs.empty())
    fail("data prepare: the corpus is empty: ", opt.files.size(), " file(s), ", corpus.bytes_read,
         " bytes, no text left after cleaning");
  const uint64_t n = corpus.docs.size();
  uint64_t n_val = 0;
  if (opt.val_fraction > 0) {
    if (n < 2)
      fail("data prepare: 1 document cannot be split into train and validation (use --val-fraction 0 or more documents)");
    n_val = std::clamp<uint64_t>(uint64_t(std::llround(opt.val_fraction * double(n))), 1, n - 1);
  }

  std::vector<std::vector<int32_t>> ids(n);
  parallel_for(int64_t(n), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ids[size_t(i)] = tok->encode(corpus.docs[size_t(i)]);
  }, 16);

  const std::vector<uint64_t> order = shuffled_order(n, opt.seed);
  const std::vector<uint64_t> val(order.begin(), order.begin() + int64_t(n_val));
  const std::vector<uint64_t> train(order.begin() + int64_t(n_val), order.end());

  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) fail("data prepare: cannot create directory '", opt.out_dir, "': ", ec.message());

  DataPrepareReport r;
  r.bytes = corpus.bytes_read;
  r.docs = n;
  r.train_docs = train.size();
  r.val_docs = val.size();
  r.dtype = shard_dtype_for_vocab(tok->vocab_size());
  r.train_shards = write_split(opt.out_dir, "train", ids, train, eos, r.dtype, opt.shard_tokens, r.train_tokens);
  if (n_val > 0) {
    r.val_shards = write_split(opt.out_dir, "val", ids, val, eos, r.dtype, opt.shard_tokens, r.val_tokens);
  } else {
    for (size_t k = 0;; ++k)
      if (std::remove((opt.out_dir + "/" + shard_name("val", k)).c_str()) != 0) break;
  }

  nlohmann::ordered_json meta;
  meta["format"] = "tock-token-shards";
  meta["version"] = kShardVersion;
  meta["tokenizer"] = {
      {"path", std::filesystem::absolute(opt.tokenizer).string()},
      {"sha256", sha256_file(opt.tokenizer)},
      {"vocab_size", tok->vocab_size()},
      {"eos_token_id", eos},
  };
  meta["dtype"] = r.dtype == 2 ? "uint16" : "uint32";
  meta["cleaning_rules_version"] = kCleaningRulesVersion;
  meta["document_separator"] = "eos after each document";
  meta["seed"] = opt.seed;
  meta["val_fraction"] = opt.val_fraction;
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const auto& f : opt.files) sources.push_back(std::filesystem::absolute(f).string());
  meta["sources"] = sources;
  meta["bytes"] = r.bytes;
  meta["train"] = {{"documents", r.train_docs}, {"tokens", r.train_tokens}, {"shards", r.train_shards}};
  meta["val"] = {{"documents", r.val_docs}, {"tokens", r.val_tokens}, {"shards", r.val_shards}};
  write_file_atomically(opt.out_dir + "/meta.json", meta.dump(2) + "\n");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace tock
