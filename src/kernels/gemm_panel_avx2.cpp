// AVX2 decoder of 16-row Pairs16 panels (gemm_panel.hpp) for Q4_0, Q4_1 and Q8_0: the same
// codes and scales as pack_q_panel, bit for bit, about an order of magnitude faster. Per
// 32-block the 16 rows × 16 code pairs are transposed into the [pair][row] layout while still
// bytes, then widened to int16.
// Fast decoding is what lets the GEMM serve a few activation rows (serving's small batches):
// the panel is decoded once per call whatever T is.
#include <immintrin.h>

#include <type_traits>

#include "core/block_formats.hpp"
#include "kernels/gemm_panel.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace tock {
namespace {

constexpr int R = 16;
constexpr int64_t kAhead = 8;  // blocks prefetched ahead in each row

template <DType kType>
using Block = std::conditional_t<kType == DType::Q8_0, BlockQ8_0,
                                 std::conditional_t<kType == DType::Q4_1, BlockQ4_1, BlockQ4_0>>;

// The 16 rows' 16-byte sources src[r] as 8 units of 2 bytes each. v[i] is loaded with rows p(i)
// and p(i) + 4 (lane 0 | lane 1), p = 0,1,2,3,8,9,10,11; after an in-lane 8×8 transpose of 16-bit
// units, unit(v, k) is unit k of rows {0-3, 8-11 | 4-7, 12-15}, so that its low bytes widened to
// int16 are rows 0-7 of a code pair and its high bytes rows 8-15: the Pairs16 order.
inline void transpose_units(const uint8_t* const* src, __m256i v[8]) {
  __m256i t[8];
  for (int i = 0; i < 8; ++i) {
    const int p = i < 4 ? i : i + 4;
    v[i] = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(src[p + 4]), reinterpret_cast<const __m128i*>(src[p]));
  }
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi16(v[i], v[i + 1]);      // units 0-3 of rows i, i+1 interleaved
    t[i + 1] = _mm256_unpackhi_epi16(v[i], v[i + 1]);  // units 4-7
  }
  for (int i = 0; i < 8; i += 4) {
    v[i] = _mm256_unpacklo_epi32(t[i], t[i + 2]);          // units 0,1 of rows i..i+3
    v[i + 1] = _mm256_unpackhi_epi32(t[i], t[i + 2]);      // units 2,3
    v[i + 2] = _mm256_unpacklo_epi32(t[i + 1], t[i + 3]);  // units 4,5
    v[i + 3] = _mm256_unpackhi_epi32(t[i + 1], t[i + 3]);  // units 6,7
  }
}

// Made where it is used (all 8 made first measured 117 → 150 cycles a block: register pressure).
inline __m256i unit(const __m256i v[8], int k) {
  const int s = k / 2;  // v[s]: rows 0-3 | 4-7, v[s + 4]: rows 8-11 | 12-15
  return k % 2 == 0 ? _mm256_unpacklo_epi64(v[s], v[s + 4]) : _mm256_unpackhi_epi64(v[s], v[s + 4]);
}

// Codes transposed while still bytes: Q4_0/Q4_1's byte pair k holds pair k (low nibbles) and
// pair k + 8 (high nibbles), so one transpose of the 16 rows' byte pairs serves both; Q8_0's 32
// bytes are two such transposes (pairs 0-7, 8-15). Fewer shuffles than widening each row first
// and transposing 32-bit pairs, and no 32-vector working set to spill: measured on Zen 3 (576×1536
// in one process, alternating) Q4_1 141 → 117 cycles a 16-row block (151 → 119 from L2), Q8_0
// 148 → 144; the loads then bound it (prefetching 16 or 32 blocks ahead instead of 8: no change).
template <DType kType>
void pack(const uint8_t* w, size_t row_bytes, int rows, int64_t nb, int16_t* codes, float* d, float* m) {
  // A row past the matrix reads as codes that decode to 0 (Q4_0 stores q + 8), with zero scales.
  constexpr uint8_t z = kType == DType::Q4_0 ? 0x88 : 0x00;
  alignas(16) static constexpr uint8_t kZero[32] = {z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z,
                                                    z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z};
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* qs[R];
    float* db = d + b * R;  // written in place: a scalar-to-vector copy would stall store forwarding
    float* mb = m + b * R;
    for (int r = 0; r < R; ++r) {
      if (r < rows) {
        const uint8_t* row = w + size_t(r) * row_bytes;
        // 16 rows advance ~20 bytes a block each: too slow for the hardware's stream detection
        _mm_prefetch(reinterpret_cast<const char*>(row + size_t(b + kAhead) * sizeof(Block<kType>)), _MM_HINT_T0);
        const auto& x = reinterpret_cast<const Block<kType>*>(row)[b];
        qs[r] = reinterpret_cast<const uint8_t*>(x.qs);
        db[r] = _cvtsh_ss(x.d);
        if constexpr (kType == DType::Q4_1)
          mb[r] = _cvtsh_ss(x.m);
        else
          mb[r] = 0.0f;
      } else {
        qs[r] = kZero;
        db[r] = mb[r] = 0.0f;
      }
    }
    auto* out = reinterpret_cast<__m256i*>(codes + b * 32 * R);  // out[2j + g]: pair j, rows 8g..8g+7
    __m256i v[8];
    if constexpr (kType == DType::Q8_0) {
      for (int half = 0; half < 2; ++half) {
        if (half == 1)
          for (auto& q : qs) q += 16;
        transpose_units(qs, v);
        for (int k = 0; k < 8; ++k) {
          const __m256i u = unit(v, k);
          const __m256i sign = _mm256_cmpgt_epi8(zero, u);
          _mm256_storeu_si256(out + 2 * (8 * half + k), _mm256_unpacklo_epi8(u, sign));
          _mm256_storeu_si256(out + 2 * (8 * half + k) + 1, _mm256_unpackhi_epi8(u, sign));
        }
      }
    } else {
      transpose_units(qs, v);
      const __m256i mask = _mm256_set1_epi8(0x0F);
      for (int k = 0; k < 8; ++k) {
        const __m256i u = unit(v, k);
        const __m256i ql = _mm256_and_si256(u, mask);
        const __m256i qh = _mm256_and_si256(_mm256_srli_epi16(u, 4), mask);
        __m256i c[4] = {_mm256_unpacklo_epi8(ql, zero), _mm256_unpackhi_epi8(ql, zero),
                        _mm256_unpacklo_epi8(qh, zero), _mm256_unpackhi_epi8(qh, zero)};
        if constexpr (kType == DType::Q4_0)
          for (auto& x : c) x = _mm256_sub_epi16(x, _mm256_set1_epi16(8));
        _mm256_storeu_si256(out + 2 * k, c[0]);
        _mm256_storeu_si256(out + 2 * k + 1, c[1]);
        _mm256_storeu_si256(out + 2 * (k + 8), c[2]);
        _mm256_storeu_si256(out + 2 * (k + 8) + 1, c[3]);
      }
    }
  }
}

}  // namespace

bool pack_q_panel16_avx2(DType t, const uint8_t* w, size_t row_bytes, int rows, int64_t K, int16_t* codes,
                         float* d, float* m) {
  const int64_t nb = K / 32;
  switch (t) {
    case DType::Q8_0: pack<DType::Q8_0>(w, row_bytes, rows, nb, codes, d, m); return true;
    case DType::Q4_0: pack<DType::Q4_0>(w, row_bytes, rows, nb, codes, d, m); return true;
    case DType::Q4_1: pack<DType::Q4_1>(w, row_bytes, rows, nb, codes, d, m); return true;
    default: return false;
  }
}

}  // namespace tock

#pragma GCC pop_options
