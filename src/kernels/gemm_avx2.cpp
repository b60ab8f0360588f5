// AVX2 GEMM micro-kernels: panels of R = 16 weight rows (two 8-lane i32/f32 vectors, the
// Pairs16 layout of gemm_panel.hpp) times up to 6 activation rows. Each activation pair,
// broadcast once, meets both weight vectors, so a broadcast feeds two vpmaddwd.
// The 12 i32 block sums stay in registers for the 16 steps of a 32-block (fully unrolled);
// the f32 running sums live in a small tile in L1 and are updated once per block (per block,
// d·x_d·Σ + m·x_d·isum, like the scalar kernels). Exact i32: |Σ| ≤ 32·128·32767 < 2^31.
// Measured on Zen 3 (znver3): the 16 steps alone run at ~1.6 vpmaddwd a cycle in L1, the
// vpmaddwd + vpaddd mix's limit (vpbroadcastd, vbroadcastss or a plain load of a pre-broadcast
// pair all give the same); with the per-block update (6-10 FP operations per row against 62 in
// the steps) the kernel runs at ~1.3-1.4, bound by FP pipe operations, not by loads or L2. Tried
// without gain: weights as vpmaddwd memory operands (slower), a per-chunk table of broadcast
// pairs read by every panel (slower: its stores and the strided weight reads), x_d·isum made once
// per tile, software prefetch of the next block's weights.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/gemm_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/pairs16_madd_avx2.hpp"

namespace tock {
namespace {

constexpr int R = 16;
constexpr int kTile = 6;  // 12 sums + 2 weight vectors + 1 broadcast = 15 of 16 ymm registers
static_assert(kTile <= kGemmMaxTile);

template <int NT, bool kMin>
void q_tile(int64_t nb, const int16_t* codes, const float* d, const float* m,
            const BlockQ16_32* const* x, float* y, int64_t ldy, int rows) {
  // The f32 sums: 12 more vectors than the registers hold, so they live on the stack (once
  // each; a float array zeroed by `= {}` was a rep stos per call and two stores per update).
  __m256 acc0[NT], acc1[NT];
  for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  const BlockQ16_32* xt[NT];
  for (int t = 0; t < NT; ++t) xt[t] = x[t];
  for (int64_t b = 0; b < nb; ++b) {
    const int16_t* c = codes + b * 32 * R;
    __m256i s0[NT], s1[NT];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + j * 2 * R));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + j * 2 * R + 16));
      for (int t = 0; t < NT; ++t) {
        if (j == 0)
          avx2::madd_first(s0[t], s1[t], w0, w1, xt[t][b].qs);
        else
          avx2::madd_pair(s0[t], s1[t], w0, w1, xt[t][b].qs + 2 * j);
      }
    }
    // The f32 update, the scalar kernels' operations in their order. x_d is broadcast straight
    // from memory (a load; the register broadcast g++ made from the scalar it also multiplies
    // takes an FP pipe slot). Without the barrier g++ 12 kept a second stack copy of each f32
    // sum and stored 26 vectors per block rather than 12 (measured 3-8% slower).
    asm("" ::: "memory");
    const __m256 d0 = _mm256_loadu_ps(d + b * R), d1 = _mm256_loadu_ps(d + b * R + 8);
    for (int t = 0; t < NT; ++t) {
      const __m256 xd = _mm256_broadcast_ss(&xt[t][b].d);
      __m256 a0 = _mm256_fmadd_ps(_mm256_mul_ps(d0, xd), _mm256_cvtepi32_ps(s0[t]), acc0[t]);
      __m256 a1 = _mm256_fmadd_ps(_mm256_mul_ps(d1, xd), _mm256_cvtepi32_ps(s1[t]), acc1[t]);
      if constexpr (kMin) {
        // x_d·isum made in the vector (the same f32 product; |isum| < 2^24 converts exactly):
        // one FP operation fewer than the scalar product and its register broadcast
        const __m256 xs = _mm256_mul_ps(xd, _mm256_cvtepi32_ps(_mm256_set1_epi32(xt[t][b].isum)));
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(m + b * R), xs, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(m + b * R + 8), xs, a1);
      }
      acc0[t] = a0;
      acc1[t] = a1;
    }
  }
  for (int t = 0; t < NT; ++t) {
    if (rows == R) {  // a full panel: two stores (a memcpy of `rows` floats called memmove)
      _mm256_storeu_ps(y + t * ldy, acc0[t]);
      _mm256_storeu_ps(y + t * ldy + 8, acc1[t]);
    } else {
      alignas(32) float out[R];
      _mm256_store_ps(out, acc0[t]);
      _mm256_store_ps(out + 8, acc1[t]);
      std::memcpy(y + t * ldy, out, size_t(rows) * sizeof(float));
    }
  }
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
