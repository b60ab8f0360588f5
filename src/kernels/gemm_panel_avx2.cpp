// AVX2 decoder of 16-row Pairs16 panels (gemm_panel.hpp) for Q4_0, Q4_1 and Q8_0: the same
// codes and scales as pack_q_panel, bit for bit, about an order of magnitude faster. Per
// 32-block the 16 rows × 16 code pairs are transposed into the [pair][row] layout: Q8_0 after
// widening to int16, Q4_0/Q4_1 while still 4-bit.
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
using BlockQ4 = std::conditional_t<kType == DType::Q4_1, BlockQ4_1, BlockQ4_0>;

// v[i] holds 8 32-bit elements of row i; afterwards v[j] holds element j of rows 0..7.
inline void transpose8x8(__m256i v[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);      // r_i0 r_(i+1)0 r_i1 r_(i+1)1 | lanes 4,5
    t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);  // elements 2,3 | 6,7
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);      // element 0 (4) of rows i..i+3
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);  // element 1 (5)
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);  // element 2 (6)
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);  // element 3 (7)
  }
  for (int e = 0; e < 4; ++e) {
    v[e] = _mm256_permute2x128_si256(u[e], u[e + 4], 0x20);
    v[e + 4] = _mm256_permute2x128_si256(u[e], u[e + 4], 0x31);
  }
}

// Row r's Q8_0 codes of block b as int16 pairs 0-7 (lo) and 8-15 (hi), and its d.
inline void decode_row_q8_0(const uint8_t* row, int64_t b, __m256i& lo, __m256i& hi, float& d) {
  const auto& x = reinterpret_cast<const BlockQ8_0*>(row)[b];
  lo = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qs)));
  hi = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qs + 16)));
  d = _cvtsh_ss(x.d);
}

// Q8_0: each row's 32 codes widen to int16 in two vectors (pairs 0-7 and 8-15), then four 8×8
// transposes of 32-bit pairs turn the 16 rows × 16 pairs into the [pair][row] layout.
void pack_q8_0(const uint8_t* w, size_t row_bytes, int rows, int64_t nb, int16_t* codes, float* d, float* m) {
  for (int64_t b = 0; b < nb; ++b) {
    __m256i lo[R], hi[R];
    float* db = d + b * R;  // written in place: a scalar-to-vector copy would stall store forwarding
    float* mb = m + b * R;
    for (int r = 0; r < R; ++r) {
      if (r < rows) {
        const uint8_t* row = w + size_t(r) * row_bytes;
        // 16 rows advance ~20 bytes a block each: too slow for the hardware's stream detection
        _mm_prefetch(reinterpret_cast<const char*>(row + size_t(b + kAhead) * sizeof(BlockQ8_0)), _MM_HINT_T0);
        decode_row_q8_0(row, b, lo[r], hi[r], db[r]);
        mb[r] = 0.0f;
      } else {  // past the matrix: zero codes and scales
        lo[r] = hi[r] = _mm256_setzero_si256();
        db[r] = mb[r] = 0.0f;
      }
    }
    // out[j][r] (32 bits): j < 8 from lo, j ≥ 8 from hi; rows 0-7 then 8-15 within each j.
    auto* out = reinterpret_cast<__m256i*>(codes + b * 32 * R);
    for (int g = 0; g < 2; ++g) {  // row group: rows 8g..8g+7
      transpose8x8(lo + 8 * g);
      transpose8x8(hi + 8 * g);
      for (int j = 0; j < 8; ++j) {
        _mm256_storeu_si256(out + 2 * j + g, lo[8 * g + j]);
        _mm256_storeu_si256(out + 2 * (j + 8) + g, hi[8 * g + j]);
      }
    }
  }
}

// Q4_0 / Q4_1, transposed while still 4-bit: byte pair k of a row's 16 bytes holds pair k (low
// nibbles) and pair k + 8 (high nibbles), so one 16-bit transpose of the 16 rows' byte pairs
// serves both, and the nibbles are widened after it, already in [pair][row] order. v[i] holds
// rows p(i) and p(i) + 4, p = 0,1,2,3,8,9,10,11 (lane 0 | lane 1), so that after the in-lane 8×8
// transpose u[k] = unit k of rows {0-3, 8-11 | 4-7, 12-15}: its low bytes widened are rows 0-7
// of a pair and its high bytes rows 8-15. Half the shuffles of widening first and no 32-vector
// working set to spill: measured on Zen 3, 142 → 85 cycles a block with the weights in L2, 142 →
// 117 from L3 (576×1536 Q4_1), where the loads then bound it (prefetching 16 or 32 blocks ahead
// instead of 8 changed nothing).
template <DType kType>
void pack_q4(const uint8_t* w, size_t row_bytes, int rows, int64_t nb, int16_t* codes, float* d, float* m) {
  // A row past the matrix reads as codes that decode to 0 (Q4_0 stores q + 8), with zero scales.
  constexpr uint8_t z = kType == DType::Q4_0 ? 0x88 : 0x00;
  alignas(16) static constexpr uint8_t kZero[16] = {z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z};
  const __m256i mask = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* qs[R];
    float* db = d + b * R;
    float* mb = m + b * R;
    for (int r = 0; r < R; ++r) {
      if (r < rows) {
        const uint8_t* row = w + size_t(r) * row_bytes;
        _mm_prefetch(reinterpret_cast<const char*>(row + size_t(b + kAhead) * sizeof(BlockQ4<kType>)), _MM_HINT_T0);
        const auto& x = reinterpret_cast<const BlockQ4<kType>*>(row)[b];
        qs[r] = x.qs;
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
    __m256i v[8], t[8];
    for (int i = 0; i < 8; ++i) {
      const int p = i < 4 ? i : i + 4;
      v[i] = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(qs[p + 4]), reinterpret_cast<const __m128i*>(qs[p]));
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
    auto* out = reinterpret_cast<__m256i*>(codes + b * 32 * R);
    for (int k = 0; k < 8; ++k) {
      const int s = k / 2;  // v[s] (rows 0-3) and v[s + 4] (rows 8-11 | 12-15) hold unit k
      const __m256i u = k % 2 == 0 ? _mm256_unpacklo_epi64(v[s], v[s + 4]) : _mm256_unpackhi_epi64(v[s], v[s + 4]);
      const __m256i ql = _mm256_and_si256(u, mask);
      const __m256i qh = _mm256_and_si256(_mm256_srli_epi16(u, 4), mask);
      __m256i c[4] = {_mm256_unpacklo_epi8(ql, zero), _mm256_unpackhi_epi8(ql, zero), _mm256_unpacklo_epi8(qh, zero),
                      _mm256_unpackhi_epi8(qh, zero)};
      if constexpr (kType == DType::Q4_0)
        for (auto& x : c) x = _mm256_sub_epi16(x, _mm256_set1_epi16(8));
      _mm256_storeu_si256(out + 2 * k, c[0]);
      _mm256_storeu_si256(out + 2 * k + 1, c[1]);
      _mm256_storeu_si256(out + 2 * (k + 8), c[2]);
      _mm256_storeu_si256(out + 2 * (k + 8) + 1, c[3]);
    }
  }
}

}  // namespace

bool pack_q_panel16_avx2(DType t, const uint8_t* w, size_t row_bytes, int rows, int64_t K, int16_t* codes,
                         float* d, float* m) {
  const int64_t nb = K / 32;
  switch (t) {
    case DType::Q8_0: pack_q8_0(w, row_bytes, rows, nb, codes, d, m); return true;
    case DType::Q4_0: pack_q4<DType::Q4_0>(w, row_bytes, rows, nb, codes, d, m); return true;
    case DType::Q4_1: pack_q4<DType::Q4_1>(w, row_bytes, rows, nb, codes, d, m); return true;
    default: return false;
  }
}

}  // namespace tock

#pragma GCC pop_options
