// Model speed measurements behind `tock bench`, in the manner of llama.cpp's llama-bench:
// prompt processing (pp: P prompt tokens in batches) and text generation (tg: N tokens one tick
// at a time, greedy), each after an optional context depth D already in the cache (untimed),
// each repeated. Every combination of the P, N and D lists is one series.
// With the clock on, every round is traced at per-op granularity (with moments), so off/on
// rounds alternated in one run measure the clock's cost. Not a test: numbers only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "text/tokenizer.hpp"

namespace tock {

enum class ClockMode { off, on, both };

struct BenchParams {
  std::vector<int> prompt_tokens{512};  // P values; 0 entries are skipped
  std::vector<int> gen_tokens{128};     // N values; 0 entries are skipped
  std::vector<int> depths{0};           // D values: context in the cache before each test
  int repetitions = 5;
  int prefill_chunk = 512;
  ClockMode clock = ClockMode::off;
  uint64_t seed = 1;                    // for the random prompt tokens
};

struct BenchSeries {
  std::string test;          // "pp" or "tg"
  int tokens;                // P or N
  int depth;
  bool clock_on;
  std::vector<double> tok_per_s;  // one per repetition
  std::string name() const;  // llama-bench's spelling: "pp512", "tg128 @ d1024"
  double median() const;
  double mean() const;
  double stddev() const;     // sample standard deviation (0 for one sample)
  double spread() const;     // (max - min) / median
  // tg only: the thread pool's synchronisation over the timed rounds (core/thread_pool.hpp).
  uint64_t pool_jobs = 0, pool_inline = 0, pool_wait_ns = 0;
  int64_t pool_tokens = 0;                // forward passes they cover
  double pool_jobs_per_token() const;     // parallel_for calls handed to the workers per token
  double pool_wait_us_per_token() const;  // caller's wait at their barriers per token
};

// Runs the measurements; rounds with the clock off and on alternate when clock == both.
std::vector<BenchSeries> run_bench(Model& model, const Tokenizer& tok, const BenchParams& params);

}  // namespace tock
