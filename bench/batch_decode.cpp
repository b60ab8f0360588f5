// A serving tick as `tock serve` runs it: one forward over N decoding sequences (one token each,
// every sequence at depth ~64), then one sampling per sequence over the vocabulary. Prints, per N,
// the tick's wall ms (median and best), its ratio to N = 1, its process CPU ms (median; on a
// machine shared with compilers the fairer figure, with --threads 1 the work itself), and where a tick's time goes: the
// forward's ops summed over the layers (from the clock's spans, median per tick) and sampling.
//   bench_batch_decode [-m MODEL] [--n 1,2,4,8] [--ticks 24] [--threads 2] [--depth 64] [--rounds 3]
//                      [--sampling cli|openai|greedy]
// --sampling: `tock run`'s defaults (top-k 40, top-p 0.95, min-p 0.05, T 0.8; the default), an
// OpenAI client's (T 1, no filters: a softmax over the whole vocabulary) or greedy.
// The sequences are prefilled to `depth` positions (one prompt each), then `ticks` decode ticks
// are timed; rounds repeat that (fresh caches) and alternate the N values, so that a noisy
// neighbour hits them alike. Default model: SmolLM2-135M-Instruct Q4_1 in the tock cache.
// Numbers only; never a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "clock/trace.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "model/model.hpp"
#include "runtime/sampler.hpp"

#include "bench_args.hpp"

namespace {

using Clock = std::chrono::steady_clock;

using bench::int_list;

std::string default_model() {
  const char* c = std::getenv("TOCK_CACHE");
  if (c && *c) return std::string(c) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  const char* x = std::getenv("XDG_CACHE_HOME");
  std::string dir = x && *x ? std::string(x) : std::string(std::getenv("HOME") ? std::getenv("HOME") : ".");
  if (!(x && *x)) dir.append("/.cache");
  return dir.append("/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf");
}

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + 1e-6 * double(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

struct Result {
  std::vector<double> tick_ms, sample_ms, cpu_ms;
  std::map<std::string, std::vector<double>> op_ms;  // per tick: op summed over the layers
};

// N sequences prefilled to `depth`, then `ticks` timed decode ticks, each traced by the clock.
void run(tock::Model& model, int64_t N, int64_t depth, int64_t ticks, const tock::SamplerParams& sampling,
         Result& r) {
  const int64_t V = model.config().n_vocab;
  tock::KVCache cache = model.make_cache(depth + ticks + 8);
  std::vector<float> logits;
  std::vector<tock::Sampler> samplers;
  tock::Batch batch;
  for (int64_t s = 0; s < N; ++s) {
    batch.clear();
    for (int64_t p = 0; p < depth; ++p) batch.add(int32_t((s * 977 + p * 131) % V), int32_t(p), int32_t(s), p == depth - 1);
    model.forward(batch, cache, logits);
    samplers.emplace_back(sampling);
  }
  std::vector<int32_t> next(static_cast<size_t>(N));
  for (int64_t s = 0; s < N; ++s) next[size_t(s)] = int32_t((s * 31 + 7) % V);
  for (int64_t i = 0; i < ticks; ++i) {
    batch.clear();
    for (int64_t s = 0; s < N; ++s) batch.add(next[size_t(s)], int32_t(depth + i), int32_t(s), true);
    tock::clock::start();
    const double c0 = cpu_ms();
    const auto t0 = Clock::now();
    model.forward(batch, cache, logits);
    const auto t1 = Clock::now();
    for (int64_t s = 0; s < N; ++s) {
      const int32_t tok = samplers[size_t(s)].sample(std::span<const float>(logits.data() + s * V, size_t(V)));
      samplers[size_t(s)].accept(tok);
      next[size_t(s)] = tok;
    }
    const auto t2 = Clock::now();
    r.cpu_ms.push_back(cpu_ms() - c0);
    const tock::clock::Trace trace = tock::clock::stop();
    r.tick_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    r.sample_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    std::map<std::string, double> ops;
    for (const auto& sp : trace.spans)
      if (std::string(sp.cat) == "op") ops[sp.name] += double(sp.t1_ns - sp.t0_ns) * 1e-6;
    for (const auto& [name, ms] : ops) r.op_ms[name].push_back(ms);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  std::string path = default_model();
  std::vector<int64_t> Ns{1, 2, 4, 8};
  int64_t ticks = 24, depth = 64, rounds = 3, threads = 2;
  tock::SamplerParams sampling;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) tock::fail("bench_batch_decode: ", a, " needs a value");
    const std::string v = argv[++i];
    if (a == "-m") path = v;
    else if (a == "--n") Ns = int_list(v);
    else if (a == "--ticks") ticks = std::stoll(v);
    else if (a == "--depth") depth = std::stoll(v);
    else if (a == "--rounds") rounds = std::stoll(v);
    else if (a == "--threads") threads = std::stoll(v);
    else if (a == "--sampling" && v == "openai") sampling.top_k = 0, sampling.top_p = 1, sampling.min_p = 0, sampling.temperature = 1;
    else if (a == "--sampling" && v == "greedy") sampling.temperature = 0;
    else if (a == "--sampling" && v != "cli") tock::fail("bench_batch_decode: --sampling is cli, openai or greedy, not ", v);
    else if (a == "--sampling") continue;
    else tock::fail("bench_batch_decode: unknown flag ", a);
  }
  tock::set_thread_count(int(threads));
  auto model = tock::Model::load(path);
  std::printf("model %s, %lld threads, depth %lld, %lld ticks x %lld rounds per N\n", path.c_str(),
              (long long)threads, (long long)depth, (long long)ticks, (long long)rounds);
  std::map<int64_t, Result> results;
  for (int64_t round = 0; round < rounds; ++round)
    for (int64_t N : Ns) run(*model, N, depth, ticks, sampling, results[N]);

  const double base = median(results[Ns.front()].tick_ms);
  const double base_cpu = median(results[Ns.front()].cpu_ms);
  std::printf("%4s %10s %10s %8s %10s %10s %10s %10s\n", "N", "tick ms", "best ms", "ratio", "ms/token", "sample ms",
              "cpu ms", "cpu ratio");
  for (int64_t N : Ns) {
    const Result& r = results[N];
    const double m = median(r.tick_ms);
    const double c = median(r.cpu_ms);
    std::printf("%4lld %10.3f %10.3f %8.2f %10.3f %10.3f %10.3f %10.2f\n", (long long)N, m,
                *std::min_element(r.tick_ms.begin(), r.tick_ms.end()), m / base, m / double(N), median(r.sample_ms), c,
                c / base_cpu);
  }
  std::printf("\nper-op ms per tick (median; summed over the layers):\n%-14s", "op");
  for (int64_t N : Ns) std::printf(" %9s%-3lld", "N=", (long long)N);
  std::printf("\n");
  for (const auto& [name, _] : results[Ns.front()].op_ms) {
    std::printf("%-14s", name.c_str());
    for (int64_t N : Ns) {
      const auto it = results[N].op_ms.find(name);
      std::printf(" %12.3f", it == results[N].op_ms.end() ? 0.0 : median(it->second));
    }
    std::printf("\n");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_batch_decode: %s\n", e.what());
  return 1;
}
