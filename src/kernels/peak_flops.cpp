#include "kernels/peak_flops.hpp"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace tock {
namespace {

constexpr long kIters = 4'000'000;  // × 12 chains: ~50 ms per thread at AVX2 rates
constexpr int kChains = 12;         // > FMA latency (4-5) × ports (2): the pipes stay full

// Each returns the FLOP it did; the sum goes to *sink so the loop cannot be dropped.
[[gnu::target("avx512f")]] double fma_loop_avx512(float* sink) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c) * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < kIters; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], m, a);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  *sink = out[0] + out[15];
  return 2.0 * 16 * kChains * double(kIters);
}

[[gnu::target("avx2,fma")]] double fma_loop_avx2(float* sink) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c) * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < kIters; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
  }
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_ps(s, acc[c]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  *sink = out[0] + out[7];
  return 2.0 * 8 * kChains * double(kIters);
}

double mul_add_loop_sse(float* sink) {
  __m128 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm_set1_ps(float(c) * 1e-3f);
  const __m128 m = _mm_set1_ps(0.999999f), a = _mm_set1_ps(1e-7f);
  for (long i = 0; i < kIters; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], m), a);
  }
  __m128 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm_add_ps(s, acc[c]);
  *sink = _mm_cvtss_f32(s);
  return 2.0 * 4 * kChains * double(kIters);
}

}  // namespace

double measure_peak_gflops(int threads) {
  if (threads < 1) fail("measure_peak_gflops: threads must be >= 1, got ", threads);
  const Isa isa = active_isa();
  auto loop = isa == Isa::Avx512 ? fma_loop_avx512
              : isa == Isa::Avx2 ? fma_loop_avx2
                                 : mul_add_loop_sse;
  // Plain threads, not the pool: every thread must run its loop at the same time.
  std::vector<float> sinks(static_cast<size_t>(threads) * 16);
  double best = 0.0;
  for (int run = 0; run < 3; ++run) {
    std::vector<double> flops(static_cast<size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
      pool.emplace_back([&, t] { flops[size_t(t)] = loop(&sinks[size_t(t) * 16]); });
    flops[0] = loop(&sinks[0]);
    for (std::thread& th : pool) th.join();
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0.0;
    for (double f : flops) total += f;
    best = std::max(best, total / sec * 1e-9);
  }
  return best;
}

}  // namespace tock
