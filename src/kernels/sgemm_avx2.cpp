// sgemm's AVX2+FMA micro-kernel: a 6×16 tile of C in 12 ymm accumulators; per k, two loads of
// B, six broadcasts of A and 12 FMAs (the BLIS/OpenBLAS Haswell shape: 15 of 16 registers).
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "kernels/sgemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace tock {
namespace {

constexpr int64_t kMr = 6, kNr = 16;

void kernel_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool load_c) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int64_t i = 0; i < kMr; ++i) {
    acc[i][0] = load_c ? _mm256_loadu_ps(c + i * ldc) : _mm256_setzero_ps();
    acc[i][1] = load_c ? _mm256_loadu_ps(c + i * ldc + 8) : _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int64_t i = 0; i < kMr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMr;
    b += kNr;
  }
#pragma GCC unroll 6
  for (int64_t i = 0; i < kMr; ++i) {
    _mm256_storeu_ps(c + i * ldc, acc[i][0]);
    _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
  }
}

}  // namespace

SgemmKernel sgemm_kernel_avx2() {
  return {kMr, kNr, kernel_6x16, sgemm_transpose6_avx2, sgemm_transpose16_avx2};
}

}  // namespace tock

#pragma GCC pop_options
