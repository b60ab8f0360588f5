// AVX-512 VNNI GEMM micro-kernels: panels of R = 16 weight rows (one i32/f32 lane each) times
// up to 8 activation rows. Per 32-block, 16 steps of vpdpwssd (codes of 16 rows × an element
// pair, the activation pair broadcast) summed in i32 (exact: |Σ| ≤ 32·128·32767), then scaled
// per block in f32 like the scalar kernels (matmul_scalar.cpp).
// g++ 12 warns inside its own AVX-512 headers (self-initialised _mm512_undefined_*; GCC PR
// 105593): silence just those two warnings in this file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/gemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")

namespace tock {
namespace {

constexpr int R = 16;
constexpr int kTile = 8;
static_assert(kTile <= kGemmMaxTile);

inline int32_t pair(const int16_t* q) {
  int32_t v;
  std::memcpy(&v, q, 4);
  return v;
}

template <int NT, bool kMin>
void q_tile(int64_t nb, const int16_t* codes, const float* d, const float* m,
            const BlockQ16_32* const* x, float* y, int64_t ldy, int rows) {
  __m512 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const int16_t* c = codes + b * 32 * R;
    const BlockQ16_32* xb[NT];
    __m512i s[NT];
    for (int t = 0; t < NT; ++t) {
      xb[t] = x[t] + b;
      s[t] = _mm512_setzero_si512();
    }
    for (int j = 0; j < 16; ++j) {
      const __m512i w = _mm512_loadu_si512(c + j * 2 * R);
      for (int t = 0; t < NT; ++t) s[t] = _mm512_dpwssd_epi32(s[t], w, _mm512_set1_epi32(pair(xb[t]->qs + 2 * j)));
    }
    const __m512 dv = _mm512_loadu_ps(d + b * R);
    for (int t = 0; t < NT; ++t) {
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dv, _mm512_set1_ps(xb[t]->d)), _mm512_cvtepi32_ps(s[t]), acc[t]);
      if constexpr (kMin)
        acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(m + b * R), _mm512_set1_ps(xb[t]->d * float(xb[t]->isum)), acc[t]);
    }
  }
  const __mmask16 mask = __mmask16((1u << rows) - 1);
  for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + t * ldy, mask, acc[t]);
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
    case 6: q_tile<6, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    case 7: q_tile<7, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
    default: q_tile<8, kMin>(nb, codes, d, m, x, y, ldy, rows); break;
  }
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

GemmKernel gemm_kernel_avx512() {
  GemmKernel k;
  k.R = R;
  k.tile = kTile;
  k.q = q_kernel<false>;
  k.q_min = q_kernel<true>;
  return k;
}

}  // namespace tock
