// Model speed measurements behind `tock bench`, in the manner of llama.cpp's llama-bench:
// prompt processing (pp: P prompt tokens in batches) and text generation (tg: N tokens one tick
// at a time, greedy, after an optional context depth D), each repeated, reported as medians.
// With the clock on, every round is traced at per-op granularity (with moments), so off/on
// rounds alternated in one run measure the clock's cost. Not a test: numbers only.
#pragma once
#include <cstdint>
#include <vector>

#include "model/model.hpp"
#include "text/tokenizer.hpp"

namespace tock {

enum class ClockMode { off, on, both };

struct BenchParams {
  int prompt_tokens = 512;   // P; 0 = skip pp
  int gen_tokens = 128;      // N; 0 = skip tg
  int depth = 0;             // D: context already in the cache before tg (not timed)
  int repetitions = 5;
  int prefill_chunk = 512;
  ClockMode clock = ClockMode::off;
  uint64_t seed = 1;         // for the random prompt tokens
};

struct BenchSeries {
  const char* test;          // "pp" or "tg"
  int tokens;                // P or N
  int depth;
  bool clock_on;
  std::vector<double> tok_per_s;  // one per repetition
  double median() const;
  double spread() const;     // (max - min) / median
};

// Runs the measurements; rounds with the clock off and on alternate when clock == both.
std::vector<BenchSeries> run_bench(Model& model, const Tokenizer& tok, const BenchParams& params);

}  // namespace tock
