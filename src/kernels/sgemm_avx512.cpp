// sgemm's AVX-512 micro-kernel: an 8×32 tile of C in 16 zmm accumulators; per k, two loads of
// B, eight broadcasts of A and 16 FMAs (FMA-bound on two 512-bit FMA ports).
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "kernels/sgemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

namespace tock {
namespace {

constexpr int64_t kMr = 8, kNr = 32;

void kernel_8x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool load_c) {
  __m512 acc[kMr][2];
#pragma GCC unroll 8
  for (int64_t i = 0; i < kMr; ++i) {
    acc[i][0] = load_c ? _mm512_loadu_ps(c + i * ldc) : _mm512_setzero_ps();
    acc[i][1] = load_c ? _mm512_loadu_ps(c + i * ldc + 16) : _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int64_t i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMr;
    b += kNr;
  }
#pragma GCC unroll 8
  for (int64_t i = 0; i < kMr; ++i) {
    _mm512_storeu_ps(c + i * ldc, acc[i][0]);
    _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
  }
}

}  // namespace

SgemmKernel sgemm_kernel_avx512() { return {kMr, kNr, kernel_8x32}; }

}  // namespace tock

#pragma GCC pop_options
