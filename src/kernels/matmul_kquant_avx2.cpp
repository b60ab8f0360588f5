// AVX2 row kernels for the K-quants. Per 256-block, the weight codes of each group are widened
// to int16 once and meet every activation row of the tile with vpmaddwd (exact i32 lanes: at
// most 4 products of |q| ≤ 32 by |x| ≤ 32767 per lane), then scaled in f32 — the integers of
// matmul_scalar.cpp's k4_dot / Q6_K block_dot, summed in another order.
#include <immintrin.h>

#include <cstdint>

#include "core/block_formats.hpp"
#include "kernels/matmul_kquant.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/hsum_avx2.hpp"

namespace tock {
namespace {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

// Σ over 32 elements of u8 codes c (widened to int16) · x.qs, as 8 i32 lanes.
inline __m256i dot32(__m256i c, const int16_t* xq) {
  const __m256i w0 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(c));
  const __m256i w1 = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(c, 1));
  const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
  const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 16));
  return _mm256_add_epi32(_mm256_madd_epi16(w0, x0), _mm256_madd_epi16(w1, x1));
}

// Q4_K / Q5_K: sub-block j (32 elements, activation block j) has codes (qs[32·(j/2) + l] >>
// 4·(j&1)) & 0xF, plus 16 if bit j of qh[l] (Q5_K); y = d·sc_j·q − dmin·m_j.
template <bool kFifthBit, typename Block, int NT>
void k4_rows(int64_t K, const uint8_t* w, const void* const* x, float* out) {
  const auto* wb = reinterpret_cast<const Block*>(w);
  const BlockQ16_32* xb[NT];
  __m256 acc[NT];
  float mins[NT];
  for (int t = 0; t < NT; ++t) {
    xb[t] = static_cast<const BlockQ16_32*>(x[t]);
    acc[t] = _mm256_setzero_ps();
    mins[t] = 0.0f;
  }
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int64_t b = 0; b < K / QK_K; ++b) {
    const Block& blk = wb[b];
    const float d = half(blk.d), dmin = half(blk.dmin);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFifthBit) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh));
    for (int p = 0; p < 4; ++p) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * p));
      __m256i codes[2] = {_mm256_and_si256(q, low4), _mm256_and_si256(_mm256_srli_epi16(q, 4), low4)};
      for (int s = 0; s < 2; ++s) {
        const int j = 2 * p + s;
        if constexpr (kFifthBit) {
          const __m256i bit = _mm256_set1_epi8(char(1 << j));
          const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
          codes[s] = _mm256_or_si256(codes[s], _mm256_and_si256(set, _mm256_set1_epi8(16)));
        }
        uint8_t sc, m;
        k_scale_min(j, blk.scales, &sc, &m);
        const float dsc = d * float(sc), dm = dmin * float(m);
        for (int t = 0; t < NT; ++t) {
          const BlockQ16_32& xj = xb[t][b * 8 + j];
          acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dsc * xj.d), _mm256_cvtepi32_ps(dot32(codes[s], xj.qs)), acc[t]);
          mins[t] += dm * xj.d * float(xj.isum);
        }
      }
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]) - mins[t];
}

// Q6_K: per half h, element 32c + l has code ((ql[l + 32·(c&1)] >> 4·(c>>1)) & 0xF) |
// ((qh[l] >> 2c) & 3) << 4, minus 32; groups of 16 (2c, 2c+1) carry i8 scales.
template <int NT>
void q6k_rows(int64_t K, const uint8_t* w, const void* const* x, float* out) {
  const auto* wb = reinterpret_cast<const BlockQ6_K*>(w);
  const BlockQ16_32* xb[NT];
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) {
    xb[t] = static_cast<const BlockQ16_32*>(x[t]);
    acc[t] = _mm256_setzero_ps();
  }
  const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
  for (int64_t b = 0; b < K / QK_K; ++b) {
    const BlockQ6_K& blk = wb[b];
    const float d = half(blk.d);
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
      for (int c = 0; c < 4; ++c) {
        const __m256i ql = (c & 1) ? ql1 : ql0;
        const __m256i lo = _mm256_and_si256((c >> 1) ? _mm256_srli_epi16(ql, 4) : ql, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), two);
        // Bytes in −32..31: the shift of hi by 4 stays inside each byte (hi ≤ 3).
        const __m256i codes = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), bias);
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(codes));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(codes, 1));
        const float s0 = d * float(blk.scales[8 * h + 2 * c]), s1 = d * float(blk.scales[8 * h + 2 * c + 1]);
        for (int t = 0; t < NT; ++t) {
          const BlockQ16_32& xc = xb[t][b * 8 + 4 * h + c];
          const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc.qs));
          const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xc.qs + 16));
          const __m256 g0 = _mm256_cvtepi32_ps(_mm256_madd_epi16(w0, x0));
          const __m256 g1 = _mm256_cvtepi32_ps(_mm256_madd_epi16(w1, x1));
          acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(s0 * xc.d), g0, acc[t]);
          acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(s1 * xc.d), g1, acc[t]);
        }
      }
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

template <int NT>
void q4k(int64_t K, const uint8_t* w, const void* const* x, float* out) { k4_rows<false, BlockQ4_K, NT>(K, w, x, out); }
template <int NT>
void q5k(int64_t K, const uint8_t* w, const void* const* x, float* out) { k4_rows<true, BlockQ5_K, NT>(K, w, x, out); }

// Chooses the instance for nt activation rows.
template <void (*F1)(int64_t, const uint8_t*, const void* const*, float*),
          void (*F2)(int64_t, const uint8_t*, const void* const*, float*),
          void (*F3)(int64_t, const uint8_t*, const void* const*, float*),
          void (*F4)(int64_t, const uint8_t*, const void* const*, float*)>
void rows(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out) {
  switch (nt) {
    case 1: F1(K, w, x, out); break;
    case 2: F2(K, w, x, out); break;
    case 3: F3(K, w, x, out); break;
    default: F4(K, w, x, out); break;
  }
}
static_assert(kMaxRows == 4);

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

RowKernel row_kernel_kquant_avx2(DType t) {
  switch (t) {
    case DType::Q4_K: return {ActFormat::Q16_32, rows<q4k<1>, q4k<2>, q4k<3>, q4k<4>>};
    case DType::Q5_K: return {ActFormat::Q16_32, rows<q5k<1>, q5k<2>, q5k<3>, q5k<4>>};
    case DType::Q6_K: return {ActFormat::Q16_32, rows<q6k_rows<1>, q6k_rows<2>, q6k_rows<3>, q6k_rows<4>>};
    default: return {};
  }
}

}  // namespace tock
