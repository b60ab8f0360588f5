// sgemm's strip transposes with AVX2 (sgemm_kernels.hpp): 8 columns of k at a time, each group
// of 8 rows turned by the usual unpack/shuffle/permute 8×8 transpose; the k tail element by
// element. The generic packing loops move one float per load and store, with strided stores:
// ~15% of a training step when N = C is only 256 wide. Same values moved, so same bits.
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "kernels/sgemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace tock {
namespace {

// r[i] holds row i (8 values of k); afterwards r[j] holds column j (row 0..7 of k = j).
inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

void tail(float* dst, const float* src, int64_t ld, int64_t k0, int64_t kc, int64_t rows) {
  for (int64_t k = k0; k < kc; ++k)
    for (int64_t r = 0; r < rows; ++r) dst[k * rows + r] = src[r * ld + k];
}

}  // namespace

void sgemm_transpose6_avx2(float* dst, const float* src, int64_t ld, int64_t kc) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 r[8];
    for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(src + i * ld + k);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8x8(r);
    // Column j goes to dst[(k + j)·6 ...]: full 8-wide stores in order, each one's two extra
    // lanes overwritten by the next; the last stored as 4 + 2 so nothing past the strip moves.
    float* d = dst + k * 6;
    for (int j = 0; j < 7; ++j) _mm256_storeu_ps(d + j * 6, r[j]);
    _mm_storeu_ps(d + 42, _mm256_castps256_ps128(r[7]));
    _mm_storel_pi(reinterpret_cast<__m64*>(d + 46), _mm256_extractf128_ps(r[7], 1));
  }
  tail(dst, src, ld, k, kc, 6);
}

void sgemm_transpose16_avx2(float* dst, const float* src, int64_t ld, int64_t kc) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int h = 0; h < 2; ++h) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + (h * 8 + i) * ld + k);
      transpose8x8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (k + j) * 16 + h * 8, r[j]);
    }
  }
  tail(dst, src, ld, k, kc, 16);
}

}  // namespace tock

#pragma GCC pop_options
