// AVX2 decoder of 16-row Pairs16 panels (gemm_panel.hpp) for Q4_0, Q4_1 and Q8_0: the same
// codes and scales as pack_q_panel, bit for bit, about an order of magnitude faster. Per
// 32-block, each row's 32 codes widen to int16 in two vectors (pairs 0-7 and 8-15), and four
// 8×8 transposes of 32-bit pairs turn the 16 rows × 16 pairs into the [pair][row] layout.
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

// Row r's codes of block b as int16 pairs 0-7 (lo) and 8-15 (hi), and its d, m.
template <DType kType>
inline void decode_row(const uint8_t* row, int64_t b, __m256i& lo, __m256i& hi, float& d, float& m) {
  if constexpr (kType == DType::Q8_0) {
    const auto& x = reinterpret_cast<const BlockQ8_0*>(row)[b];
    lo = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qs)));
    hi = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qs + 16)));
    d = _cvtsh_ss(x.d);
    m = 0.0f;
  } else {
    const uint8_t* qs;
    if constexpr (kType == DType::Q4_1) {
      const auto& x = reinterpret_cast<const BlockQ4_1*>(row)[b];
      qs = x.qs;
      d = _cvtsh_ss(x.d);
      m = _cvtsh_ss(x.m);
    } else {
      const auto& x = reinterpret_cast<const BlockQ4_0*>(row)[b];
      qs = x.qs;
      d = _cvtsh_ss(x.d);
      m = 0.0f;
    }
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i mask = _mm_set1_epi8(0x0F);
    lo = _mm256_cvtepu8_epi16(_mm_and_si128(q, mask));  // low nibbles: elements 0-15
    hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(q, 4), mask));  // 16-31
    if constexpr (kType == DType::Q4_0) {
      const __m256i eight = _mm256_set1_epi16(8);
      lo = _mm256_sub_epi16(lo, eight);
      hi = _mm256_sub_epi16(hi, eight);
    }
  }
}

template <DType kType>
void pack(const uint8_t* w, size_t row_bytes, int rows, int64_t nb, int16_t* codes, float* d, float* m) {
  for (int64_t b = 0; b < nb; ++b) {
    __m256i lo[R], hi[R];
    float* db = d + b * R;  // written in place: a scalar-to-vector copy would stall store forwarding
    float* mb = m + b * R;
    for (int r = 0; r < R; ++r) {
      if (r < rows) {
        const uint8_t* row = w + size_t(r) * row_bytes;
        // 16 rows advance ~20 bytes a block each: too slow for the hardware's stream detection
        _mm_prefetch(reinterpret_cast<const char*>(row + size_t(b + kAhead) * sizeof(Block<kType>)), _MM_HINT_T0);
        decode_row<kType>(row, b, lo[r], hi[r], db[r], mb[r]);
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
