#include "train/trainer_mfu.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tock {
namespace {

constexpr int64_t kIters = 1 << 21;

#if defined(__x86_64__)
// 10 independent chains of 8-lane FMAs: enough in flight to cover the FMA latency on two
// ports. Returns the sum so the compiler keeps the work; 160 FLOPs per iteration.
__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iters, double& flops) {
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  __m256 a[10];
  for (auto& r : a) r = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < iters; ++i)
    for (auto& r : a) r = _mm256_fmadd_ps(r, x, y);
  __m256 s = a[0];
  for (int k = 1; k < 10; ++k) s = _mm256_add_ps(s, a[k]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  flops = double(iters) * 160.0;
  return out[0];
}
#endif

float fma_loop_scalar(int64_t iters, double& flops) {
  float a[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  for (int64_t i = 0; i < iters; ++i)
    for (float& r : a) r = r * 0.999999f + 1e-7f;
  flops = double(iters) * 16.0;
  return a[0] + a[7];
}

double measure() {
  const int n = thread_pool().size();
  std::vector<double> flops(size_t(n), 0.0);
  std::vector<float> sink(size_t(n), 0.0f);
  const bool avx2 =
#if defined(__x86_64__)
      cpu_features().avx2 && cpu_features().fma;
#else
      false;
#endif
  const auto t0 = std::chrono::steady_clock::now();
  parallel_for(n, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
#if defined(__x86_64__)
      if (avx2) {
        sink[size_t(k)] = fma_loop_avx2(kIters, flops[size_t(k)]);
        continue;
      }
#endif
      sink[size_t(k)] = fma_loop_scalar(kIters, flops[size_t(k)]);
    }
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0;
  for (double f : flops) total += f;
  volatile float keep = sink[0];
  (void)keep;
  return s > 0 ? total / s : 0.0;
}

}  // namespace

double peak_flops() {
  static const double peak = measure();  // once per process: the measurement takes ~50 ms
  return peak;
}

}  // namespace tock
