// AVX2 GEMM micro-kernels: panels of R = 8 weight rows (one i32/f32 lane each) times up to
// 6 activation rows (6 measured 8-14% faster than 4 here; 12 of the 16 ymm registers hold
// the sums). Quantized: per 32-block, 16 steps of vpmaddwd(codes of 8 rows ×
// an element pair, the activation pair broadcast) summed in i32 (exact: |Σ| ≤ 32·128·32767),
// then scaled per block in f32 like the scalar kernels.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/gemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace tock {
namespace {

constexpr int R = 8;

inline void store_rows(float* y, __m256 v, int rows) {
  if (rows == R) {
    _mm256_storeu_ps(y, v);
  } else {
    alignas(32) float tmp[R];
    _mm256_store_ps(tmp, v);
    std::memcpy(y, tmp, size_t(rows) * sizeof(float));
  }
}

inline int32_t pair(const int16_t* q) {
  int32_t v;
  std::memcpy(&v, q, 4);
  return v;
}

template <int NT, bool kMin>
void q_tile(int64_t nb, const int16_t* codes, const float* d, const float* m,
            const BlockQ16_32* const* x, float* y, int64_t ldy, int rows) {
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const int16_t* c = codes + b * 32 * R;
    const BlockQ16_32* xb[NT];
    __m256i s[NT];
    for (int t = 0; t < NT; ++t) {
      xb[t] = x[t] + b;
      s[t] = _mm256_setzero_si256();
    }
    for (int j = 0; j < 16; ++j) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + j * 2 * R));
      for (int t = 0; t < NT; ++t)
        s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(w, _mm256_set1_epi32(pair(xb[t]->qs + 2 * j))));
    }
    const __m256 dv = _mm256_loadu_ps(d + b * R);
    for (int t = 0; t < NT; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dv, _mm256_set1_ps(xb[t]->d)), _mm256_cvtepi32_ps(s[t]), acc[t]);
      if constexpr (kMin)
        acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(m + b * R), _mm256_set1_ps(xb[t]->d * float(xb[t]->isum)), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) store_rows(y + t * ldy, acc[t], rows);
}

template <bool kMin>
void q_kernel(int64_t nb, const int16_t* codes, const float* d, const float* m,
              const BlockQ16_32* const* x, int nt, float* y, int64_t ldy, int rows) {
  switch (nt) {
    case 1: q_tile<1, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    case 2: q_tile<2, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    case 3: q_tile<3, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    case 4: q_tile<4, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    case 5: q_tile<5, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    default: q_tile<6, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
  }
}
constexpr int kTile = 6;
static_assert(kTile <= kGemmMaxTile);

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

GemmKernel gemm_kernel_avx2() {
  GemmKernel k;
  k.R = R;
  k.tile = kTile;
  k.q = q_kernel<false>;
  k.q_min = q_kernel<true>;
  return k;
}

}  // namespace tock
