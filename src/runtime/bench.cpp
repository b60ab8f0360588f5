#include "runtime/bench.hpp"

#include <algorithm>

#include "clock/trace.hpp"
#include "core/error.hpp"
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

}  // namespace

double BenchSeries::median() const {
  if (tok_per_s.empty()) return 0;
  std::vector<double> v = tok_per_s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double BenchSeries::spread() const {
  if (tok_per_s.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(tok_per_s.begin(), tok_per_s.end());
  return (*hi - *lo) / median();
}

std::vector<BenchSeries> run_bench(Model& model, const Tokenizer& tok, const BenchParams& p) {
  if (p.repetitions < 1) fail("bench: repetitions must be at least 1");
  if (p.prompt_tokens < 0 || p.gen_tokens < 0 || p.depth < 0) fail("bench: token counts must be >= 0");
  const int64_t needed = std::max<int64_t>(p.prompt_tokens, int64_t(p.depth) + p.gen_tokens + 1);
  if (needed > model.config().n_ctx_train)
    fail("bench: ", needed, " positions needed, the model's context is ", model.config().n_ctx_train);

  std::vector<bool> modes;
  if (p.clock != ClockMode::on) modes.push_back(false);
  if (p.clock != ClockMode::off) modes.push_back(true);

  std::vector<BenchSeries> series;
  auto find = [&](const char* test, bool on) -> BenchSeries& {
    for (auto& s : series)
      if (std::string_view(s.test) == test && s.clock_on == on) return s;
    const int n = std::string_view(test) == "pp" ? p.prompt_tokens : p.gen_tokens;
    series.push_back({test, n, std::string_view(test) == "pp" ? 0 : p.depth, on, {}});
    return series.back();
  };
  for (const char* test : {"pp", "tg"})
    for (bool on : modes)
      if ((std::string_view(test) == "pp" ? p.prompt_tokens : p.gen_tokens) > 0) find(test, on);

  SamplerParams greedy;
  greedy.temperature = 0;
  const std::vector<int32_t> prompt = random_tokens(tok, std::max({p.prompt_tokens, p.depth, 8}), p.seed);
  const std::vector<int32_t> depth_tokens(prompt.begin(), prompt.begin() + p.depth);
  const std::vector<int32_t> pp_tokens(prompt.begin(), prompt.begin() + p.prompt_tokens);
  GenerateParams gen;
  gen.max_tokens = p.gen_tokens;
  gen.ignore_eos = true;
  gen.prefill_chunk = p.prefill_chunk;

  // A warm-up round (page in the weights, grow buffers), not counted.
  {
    Session s(model, tok, greedy, needed);
    s.feed(std::vector<int32_t>(prompt.begin(), prompt.begin() + std::min<int>(8, int(prompt.size()))));
  }
  for (int r = 0; r < p.repetitions; ++r) {
    for (bool on : modes) {  // alternate off/on within each repetition
      if (p.prompt_tokens > 0) {
        Session s(model, tok, greedy, needed);
        if (on) clock::start();
        s.feed(pp_tokens, p.prefill_chunk);
        GenerateParams none;
        none.max_tokens = 0;
        const GenerationStats st = s.generate(none, [](std::string_view) { return true; });
        if (on) clock::stop();
        find("pp", on).tok_per_s.push_back(double(st.prompt_tokens) / st.prompt_seconds);
      }
      if (p.gen_tokens > 0) {
        Session s(model, tok, greedy, needed);
        // The context the generation starts from (untimed): D tokens, or one to begin with.
        s.feed(p.depth > 0 ? depth_tokens : std::vector<int32_t>{prompt.front()}, p.prefill_chunk);
        if (on) clock::start();
        const GenerationStats st = s.generate(gen, [](std::string_view) { return true; });
        if (on) clock::stop();
        find("tg", on).tok_per_s.push_back(double(st.generated_tokens()) / st.generate_seconds);
      }
    }
  }
  return series;
}

}  // namespace tock
