// BPE training speed: `bench_tokenizer_train [--vocab N] [--repeat R] [FILES...]`.
// Default input: every text file of Debian's fortunes (~2.5 MB) repeated 4 times (~10 MB),
// cleaned and split into documents as `tock tokenizer train` does. Repeating text keeps the
// set of distinct words, so the count phase scales with R and the merge phase does not;
// both phases are printed. Reported: median of 3 runs, MB/s over the cleaned text. Word
// counting runs on the thread pool (TOCK_THREADS); merging is one thread.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/thread_pool.hpp"
#include "text/bpe_trainer.hpp"
#include "train/corpus.hpp"

int main(int argc, char** argv) {
  int vocab = 4096, repeat = 4;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else files.push_back(argv[i]);
  }
  if (files.empty()) {
    const std::string dir = "/usr/share/games/fortunes";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      const std::string p = e.path().string();
      if (e.is_regular_file() && e.path().extension() != ".dat" && e.path().extension() != ".u8") files.push_back(p);
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr, "no input: install Debian's fortunes or give files\n");
      return 1;
    }
  }
  const tock::Corpus corpus = tock::read_corpus(files);
  std::vector<double> totals;
  for (int run = 0; run < 3; ++run) {
    tock::BpeTrainer t({.vocab_size = vocab, .specials = {"<|endoftext|>"}});
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeat; ++r) t.add_texts(corpus.docs);
    t.train();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    totals.push_back(secs);
    const auto& s = t.stats();
    std::printf("run %d: %.1f MB, %llu words (%llu distinct), %d merges: count %.2f s, merge %.2f s, total %.2f s = %.2f MB/s\n",
                run, double(s.bytes) / 1e6, (unsigned long long)s.words, (unsigned long long)s.unique_words, s.merges,
                s.count_seconds, s.merge_seconds, secs, double(s.bytes) / 1e6 / secs);
  }
  std::sort(totals.begin(), totals.end());
  const double mb = double(corpus.bytes_clean) * repeat / 1e6;
  std::printf("median: %.2f s for %.1f MB (vocab %d) = %.2f MB/s (%d threads counting, TOCK_THREADS)\n", totals[1], mb, vocab,
              mb / totals[1], tock::thread_count());
  return 0;
}
