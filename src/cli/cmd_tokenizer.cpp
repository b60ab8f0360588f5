// `tock tokenizer train --vocab-size N [--special TOK...] [--min-frequency F] FILES... -o
// tok.gguf`: learns a byte-level BPE tokenizer (GPT-2 rule) from text files and saves it as
// a tensor-less GGUF that `tock tokenize -m tok.gguf` and `tock data prepare` load.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "io/gguf.hpp"
#include "text/bpe_trainer.hpp"
#include "text/tokenizer.hpp"
#include "train/corpus.hpp"

namespace tock::cli {
namespace {

struct TrainArgs {
  int32_t vocab_size = 0;
  std::vector<std::string> specials{"<|endoftext|>"};
  int64_t min_frequency = 2;
  std::vector<std::string> files;
  std::string out;
};

int run_train(const TrainArgs& a) {
  const Corpus corpus = read_corpus(a.files);
  if (corpus.docs.empty()) fail("tokenizer train: the corpus is empty (", a.files.size(), " file(s), no text after cleaning)");
  BpeTrainer trainer({.vocab_size = a.vocab_size, .specials = a.specials, .min_frequency = a.min_frequency});
  trainer.add_texts(corpus.docs);
  const Vocab vocab = trainer.train();
  write_tokenizer_gguf(vocab, a.out, cat("tock-bpe-", vocab.tokens.size()));
  // Load it back as any model's tokenizer would: the file must be usable as written.
  const GgufFile f = GgufFile::open(a.out);
  const auto tok = Tokenizer::from_gguf(f);
  const auto& s = trainer.stats();
  const double secs = s.count_seconds + s.merge_seconds;
  std::fprintf(stderr,
               "tokenizer train: %zu files, %llu bytes (%zu documents), %llu words (%llu distinct)\n"
               "  %d merges (last pair seen %lld times), vocabulary %d tokens (256 bytes + merges + %zu special)\n"
               "  count %.2f s, merge %.2f s, %.2f MB/s\n"
               "  wrote %s\n",
               a.files.size(), (unsigned long long)s.bytes, corpus.docs.size(),
               (unsigned long long)s.words, (unsigned long long)s.unique_words, s.merges,
               (long long)s.last_merge_count, tok->vocab_size(), a.specials.size(), s.count_seconds,
               s.merge_seconds, secs > 0 ? double(s.bytes) / 1e6 / secs : 0.0, a.out.c_str());
  if (tok->vocab_size() < a.vocab_size)
    std::fprintf(stderr, "  note: stopped below --vocab-size %d: no pair left seen >= %lld times\n",
                 a.vocab_size, (long long)a.min_frequency);
  return 0;
}

}  // namespace

Action add_tokenizer_command(CLI::App& app) {
  CLI::App* tok = app.add_subcommand("tokenizer", "Train tokenizers");
  tok->require_subcommand(1);
  auto a = std::make_shared<TrainArgs>();
  CLI::App* train = tok->add_subcommand(
      "train",
      "Learn a byte-level BPE tokenizer (GPT-2 pre-tokenization) from text files and save it as GGUF.\n"
      "Text is cleaned as in `tock data prepare`; a line holding only '%' separates documents.\n"
      "Merges: most frequent pair first; ties go to the pair of smaller token ids (left, then right),\n"
      "ids being the 256 byte tokens in GPT-2 order then merges in order made (as HF tokenizers).");
  train->add_option("--vocab-size", a->vocab_size, "Vocabulary size, including the 256 byte tokens and the specials")
      ->required()
      ->check(CLI::Range(256, 1 << 24));
  train->add_option("--special", a->specials,
                    "Special (control) token added after the merges (repeat the flag for more); <|endoftext|> "
                    "(or the first) is BOS/EOS")
      ->allow_extra_args(false)
      ->capture_default_str();
  train->add_option("--min-frequency", a->min_frequency, "Do not merge pairs seen fewer times")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 62));
  train->add_option("files", a->files, "Text files")->required()->check(CLI::ExistingFile);
  train->add_option("-o,--out", a->out, "Output tokenizer GGUF")->required();
  return [a, train]() -> int {
    if (train->parsed()) return run_train(*a);
    return 0;
  };
}

}  // namespace tock::cli
