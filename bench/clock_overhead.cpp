// The clock's cost: decode speed with tracing off and on (per-op spans, moments), alternating
// the two so drift hits both equally, medians reported; and the cost of one hook when off.
// Usage: bench_clock_overhead [MODEL] [ROUNDS=7] [TOKENS=64]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "clock/trace.hpp"
#include "io/model_cache.hpp"
#include "runtime/generation.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = tock::resolve_model_path(argc > 1 ? argv[1] : "");
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  const int tokens = argc > 3 ? std::atoi(argv[3]) : 64;
  auto model = tock::Model::load(path);
  auto tok = tock::Tokenizer::from_gguf(model->file());
  tock::SamplerParams sp;
  sp.temperature = 0;
  tock::GenerateParams gp;
  gp.max_tokens = tokens;
  gp.ignore_eos = true;
  const std::string prompt = "The history of timekeeping, from sundials to atomic clocks,";

  // One hook when off: a Lap with a mark, as the model's layer loop pays it.
  {
    const auto t0 = std::chrono::steady_clock::now();
    const int n = 50'000'000;
    for (int i = 0; i < n; ++i) {
      tock::clock::Lap lap("layer", "layer", i);
      lap.mark("op");
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    std::printf("hook off: %.2f ns per Lap + mark (%d iterations)\n", ns / n, n);
  }
  // One span when on: a mark records one span (a clock read, a lock, a push).
  double span_on_ns = 0;
  {
    tock::clock::start({.reserve_spans = 2'000'001});
    const auto t0 = std::chrono::steady_clock::now();
    const int n = 1'000'000;
    {
      tock::clock::Lap lap("layer", "layer", 0);
      for (int i = 0; i < n; ++i) lap.mark("op");
    }
    span_on_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
    tock::clock::stop();
    std::printf("hook on:  %.2f ns per recorded span (%d spans)\n", span_on_ns, n);
  }

  std::vector<double> off, on, own;  // own: the clock's accounted cost per decode token, ms
  size_t spans = 0;
  for (int r = 0; r < 2 * rounds + 1; ++r) {
    const bool traced = r % 2 == 1;
    tock::Session s(*model, *tok, sp, 0);
    if (traced) tock::clock::start();
    const tock::GenerationStats st = s.run(prompt, gp, [](std::string_view) { return true; });
    double moment_ms = 0;
    if (traced) {
      const tock::clock::Trace t = tock::clock::stop();
      spans = t.spans.size();
      for (const auto& sp : t.spans)
        if (std::string_view(sp.name) == "moment") moment_ms += double(sp.t1_ns - sp.t0_ns) / 1e6;
    }
    if (r == 0) continue;  // warm-up
    const double ms_per_token = st.generate_seconds * 1e3 / double(st.generated_tokens());
    (traced ? on : off).push_back(ms_per_token);
    if (traced)  // the moments' measured time plus every span's recording cost, per token
      own.push_back((moment_ms + double(spans) * span_on_ns / 1e6) / double(st.generated_tokens()));
    std::printf("round %2d  tracing %-3s  decode %.3f ms/token\n", r, traced ? "on" : "off", ms_per_token);
  }
  const double a = median(off), b = median(on);
  std::printf("\nmodel %s, %d tokens greedy, %d rounds each (alternating), %zu spans per traced run\n",
              path.c_str(), tokens, rounds, spans);
  auto spread = [](const std::vector<double>& v) {
    return 100.0 * (*std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end())) /
           median(v);
  };
  std::printf("decode median: off %.3f ms/token (%.1f tok/s, spread %.1f%%), on %.3f ms/token (%.1f tok/s, "
              "spread %.1f%%): overhead %+.2f%%\n",
              a, 1e3 / a, spread(off), b, 1e3 / b, spread(on), 100.0 * (b - a) / a);
  // The same cost counted from inside (immune to the machine's noise, blind to cache effects).
  const double c = median(own);
  std::printf("clock's own work (moments + span records): %.3f ms/token = %.2f%% of decode off\n", c,
              100.0 * c / a);
  return 0;
}
