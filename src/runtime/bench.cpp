#include "runtime/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "clock/trace.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "runtime/generation.hpp"

namespace tock {
namespace {

// Prompt tokens drawn from the vocabulary with a fixed generator (SplitMix64): ordinary tokens
// only, so no end-of-generation token sneaks into the context.
std::vector<int32_t> random_tokens(const Tokenizer& tok, int n, uint64_t seed) {
  std::vector<int32_t> out;
  uint64_t s = seed;
  while (int(out.size()) < n) {
    s += 0x9e3779b97f4a7c15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const auto id = int32_t(z % uint64_t(tok.vocab_size()));
    if (tok.type(id) == TokenType::Normal) out.push_back(id);
  }
  return out;
}

int max_of(const std::vector<int>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

}  // namespace

std::string BenchSeries::name() const {
  std::string s = test + std::to_string(tokens);
  if (depth > 0) s.append(" @ d").append(std::to_string(depth));
  return s;
}

double BenchSeries::median() const {
  if (tok_per_s.empty()) return 0;
  std::vector<double> v = tok_per_s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double BenchSeries::mean() const {
  if (tok_per_s.empty()) return 0;
  double s = 0;
  for (double v : tok_per_s) s += v;
  return s / double(tok_per_s.size());
}

double BenchSeries::stddev() const {
  if (tok_per_s.size() < 2) return 0;
  const double m = mean();
  double ss = 0;
  for (double v : tok_per_s) ss += (v - m) * (v - m);
  return std::sqrt(ss / double(tok_per_s.size() - 1));
}

double BenchSeries::pool_jobs_per_token() const {
  return pool_tokens ? double(pool_jobs) / double(pool_tokens) : 0;
}

double BenchSeries::pool_wait_us_per_token() const {
  return pool_tokens ? double(pool_wait_ns) * 1e-3 / double(pool_tokens) : 0;
}

double BenchSeries::spread() const {
  if (tok_per_s.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(tok_per_s.begin(), tok_per_s.end());
  return (*hi - *lo) / median();
}

std::vector<BenchSeries> run_bench(Model& model, const Tokenizer& tok, const BenchParams& p) {
  if (p.repetitions < 1) fail("bench: repetitions must be at least 1");
  for (const auto* list : {&p.prompt_tokens, &p.gen_tokens, &p.depths})
    for (int v : *list)
      if (v < 0) fail("bench: token counts must be >= 0, got ", v);
  const int max_depth = max_of(p.depths);
  const int64_t needed = int64_t(max_depth) + std::max<int64_t>(max_of(p.prompt_tokens), max_of(p.gen_tokens) + 1);
  if (needed > model.config().n_ctx_train)
    fail("bench: ", needed, " positions needed, the model's context is ", model.config().n_ctx_train);

  std::vector<bool> modes;
  if (p.clock != ClockMode::on) modes.push_back(false);
  if (p.clock != ClockMode::off) modes.push_back(true);

  // One series per (test, size, depth, clock), in llama-bench's order: all pp, then all tg.
  std::vector<BenchSeries> series;
  for (const char* test : {"pp", "tg"})
    for (int n : std::string_view(test) == "pp" ? p.prompt_tokens : p.gen_tokens)
      for (int d : p.depths)
        for (bool on : modes)
          if (n > 0) series.push_back({test, n, d, on, {}});

  SamplerParams greedy;
  greedy.temperature = 0;
  const std::vector<int32_t> tokens =
      random_tokens(tok, max_depth + std::max(max_of(p.prompt_tokens), 8), p.seed);
  GenerateParams gen;
  gen.ignore_eos = true;
  gen.prefill_chunk = p.prefill_chunk;

  // A warm-up round (page in the weights, grow buffers), not counted.
  {
    Session s(model, tok, greedy, 8);  // its own context: tests may need fewer positions
    s.feed(std::vector<int32_t>(tokens.begin(), tokens.begin() + 8));
  }
  using clk = std::chrono::steady_clock;
  for (int r = 0; r < p.repetitions; ++r) {
    for (auto& s : series) {  // off/on of one test are adjacent: they alternate within a round
      Session sess(model, tok, greedy, needed);
      // The context the test starts from (untimed): D tokens, or one to begin generation with.
      const auto ctx_end = tokens.begin() + s.depth;
      if (s.depth > 0) sess.feed(std::vector<int32_t>(tokens.begin(), ctx_end), p.prefill_chunk);
      if (s.test == "pp") {
        const std::vector<int32_t> prompt(ctx_end, ctx_end + s.tokens);
        if (s.clock_on) clock::start();
        const auto t0 = clk::now();
        sess.feed(prompt, p.prefill_chunk);
        const double sec = std::chrono::duration<double>(clk::now() - t0).count();
        if (s.clock_on) clock::stop();
        s.tok_per_s.push_back(double(s.tokens) / sec);
      } else {
        if (s.depth == 0) sess.feed(std::vector<int32_t>{tokens.front()}, p.prefill_chunk);
        // tg N times N forward passes (as llama-bench): generate() runs none after its last token.
        gen.max_tokens = s.tokens + 1;
        if (s.clock_on) clock::start();
        const PoolStats pool0 = thread_pool().stats();
        const GenerationStats st = sess.generate(gen, [](std::string_view) { return true; });
        const PoolStats pool1 = thread_pool().stats();
        if (s.clock_on) clock::stop();
        s.pool_jobs += pool1.jobs - pool0.jobs;
        s.pool_inline += pool1.inline_calls - pool0.inline_calls;
        s.pool_wait_ns += pool1.wait_ns - pool0.wait_ns;
        s.pool_tokens += s.tokens;  // forward passes of this round
        s.tok_per_s.push_back(double(st.generated_tokens() - 1) / st.generate_seconds);
      }
    }
  }
  return series;
}

}  // namespace tock
