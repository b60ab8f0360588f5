// `tock data prepare --tokenizer T FILES... -o DIR [--val-fraction 0.05] [--seed S]`: cleans
// and tokenizes text into train/val token shards for `tock train` (train/data_prepare.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "io/model_cache.hpp"
#include "train/data_prepare.hpp"

namespace tock::cli {
namespace {

const char* const kPrepareHelp =
    "Clean, tokenize and shard text files for training.\n"
    "Cleaning (rules version 1): invalid UTF-8 -> U+FFFD; \\r\\n and \\r -> \\n; control characters\n"
    "dropped except \\n and \\t (C0, DEL, C1; a leading BOM too); Unicode NFC. No case folding.\n"
    "Documents: each file, split further at lines holding only '%' (fortune files); each document\n"
    "is followed by the tokenizer's EOS token. Documents are shuffled by --seed and split by\n"
    "document into train and validation. Output: DIR/train_NNN.bin, DIR/val_NNN.bin (header:\n"
    "magic TOCKTOK\\0, version u32, bytes per token u32 (2 = uint16, 4 = uint32), count u64,\n"
    "then the tokens) and DIR/meta.json.";

int run_prepare(const DataPrepareOptions& o) {
  const DataPrepareReport r = prepare_data(o);
  std::fprintf(stderr,
               "data prepare: %llu bytes, %llu documents -> train %llu docs, %llu tokens (%zu shards); "
               "val %llu docs, %llu tokens (%zu shards); uint%u; %.2f s\n  wrote %s/meta.json\n",
               (unsigned long long)r.bytes, (unsigned long long)r.docs, (unsigned long long)r.train_docs,
               (unsigned long long)r.train_tokens, r.train_shards.size(), (unsigned long long)r.val_docs,
               (unsigned long long)r.val_tokens, r.val_shards.size(), r.dtype * 8, r.seconds, o.out_dir.c_str());
  return 0;
}

}  // namespace

Action add_data_command(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Prepare training data");
  data->require_subcommand(1);
  auto o = std::make_shared<DataPrepareOptions>();
  CLI::App* prep = data->add_subcommand("prepare", kPrepareHelp);
  prep->add_option("--tokenizer", o->tokenizer, "Tokenizer GGUF (from `tock tokenizer train`, or a model)")->required();
  prep->add_option("files", o->files, "Text files")->required()->check(CLI::ExistingFile);
  prep->add_option("-o,--out", o->out_dir, "Output directory")->required();
  prep->add_option("--val-fraction", o->val_fraction, "Fraction of documents for validation")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  prep->add_option("--seed", o->seed, "Shuffle seed")->capture_default_str();
  prep->add_option("--shard-tokens", o->shard_tokens, "Most tokens per shard file")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t(2), uint64_t(1) << 40));
  return [o, prep]() -> int {
    if (!prep->parsed()) return 0;
    o->tokenizer = resolve_model_path(o->tokenizer);
    return run_prepare(*o);
  };
}

}  // namespace tock::cli
