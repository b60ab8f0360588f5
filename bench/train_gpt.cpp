// bench_train_gpt: training speed of Tock's GPT-2-style trainer (GptModel forward + backward +
// AdamW step on random tokens) for the configs of issue #6, in tokens/s and MFU (model FLOPs
// per second over the machine's measured FMA peak, kernels/peak_flops.hpp).
//   configs: tiny (L4 NH4 C256 V4096, T256 B16), small (L6 NH6 C384 V8192, T256 B8),
//            gpt2-124M (L12 NH12 C768 V50257, T64 B4)
// FLOPs per token (nanoGPT/PaLM convention; the causal mask's saving is not subtracted):
//   6·(12·L·C² + C·V) for the matmuls (forward 2, backward 4) + 12·L·T·C for attention.
// Usage: bench_train_gpt [--config tiny|small|gpt2-124M|all] [--threads N] [--steps N]
// Prints one line per config: config=... threads=... tok_s=<median> best_tok_s=... mfu=...
// (bench/train_vs_pytorch.sh parses it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/peak_flops.hpp"
#include "train/adamw.hpp"
#include "train/gpt.hpp"
#include "train/random.hpp"

namespace {

struct BenchConfig {
  const char* name;
  tock::GptConfig model;
  int64_t B, T;
};

const BenchConfig kConfigs[] = {
    {"tiny", {256, 4096, 4, 4, 256, 1e-5f}, 16, 256},
    {"small", {256, 8192, 6, 6, 384, 1e-5f}, 8, 256},
    {"gpt2-124M", {1024, 50257, 12, 12, 768, 1e-5f}, 4, 64},
};

double flops_per_token(const tock::GptConfig& c, int64_t T) {
  const double L = double(c.n_layer), C = double(c.channels), V = double(c.vocab_size);
  return 6.0 * (12.0 * L * C * C + C * V) + 12.0 * L * double(T) * C;
}

void run(const BenchConfig& bc, int steps, double peak_gflops) {
  tock::GptModel model(bc.model, 1);
  tock::AdamW opt(tock::AdamWConfig{}, model.num_params());
  const int64_t BT = bc.B * bc.T;
  std::vector<int32_t> tokens(static_cast<size_t>(BT + 1));
  tock::SplitMix64 rng(7);
  for (int32_t& t : tokens) t = int32_t(rng.next() % uint64_t(bc.model.vocab_size));
  std::vector<double> secs;
  float loss = 0.0f;
  for (int s = 0; s <= steps; ++s) {  // step 0 allocates and warms the caches: not timed
    const auto t0 = std::chrono::steady_clock::now();
    loss = model.forward(tokens.data(), tokens.data() + 1, bc.B, bc.T);
    model.zero_grad();
    model.backward();
    const auto segs = model.param_segments();
    opt.step(segs, 1e-4f);
    const auto t1 = std::chrono::steady_clock::now();
    if (s > 0) secs.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  const double median = secs[secs.size() / 2], best = secs.front();
  const double tok_s = double(BT) / median, best_tok_s = double(BT) / best;
  const double mfu = tok_s * flops_per_token(bc.model, bc.T) / (peak_gflops * 1e9);
  std::printf("config=%s threads=%d tok_s=%.0f best_tok_s=%.0f mfu=%.3f step_ms=%.1f "
              "peak_gflops=%.1f loss=%.4f\n",
              bc.name, tock::thread_count(), tok_s, best_tok_s, mfu, median * 1e3, peak_gflops,
              double(loss));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  int threads = 0, steps = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      which = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--steps" && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "bench_train_gpt: unknown argument '%s'\n"
                   "usage: bench_train_gpt [--config tiny|small|gpt2-124M|all] [--threads N] "
                   "[--steps N]\n", a.c_str());
      return 1;
    }
  }
  if (steps < 1) {
    std::fprintf(stderr, "bench_train_gpt: --steps must be >= 1\n");
    return 1;
  }
  if (threads > 0) tock::set_thread_count(threads);
  const double peak = tock::measure_peak_gflops(tock::thread_count());
  bool any = false;
  for (const BenchConfig& bc : kConfigs) {
    if (which != "all" && which != bc.name) continue;
    any = true;
    run(bc, steps, peak);
  }
  if (!any) {
    std::fprintf(stderr, "bench_train_gpt: unknown config '%s' (tiny, small, gpt2-124M, all)\n",
                 which.c_str());
    return 1;
  }
  return 0;
}
