// AVX2 decoder of 16-row Pairs16 panels (gemm_panel.hpp) from weights in the rows8 layout
// (packed_rows8.hpp): a panel is one interleaved pair of groups, and each group's code unit j widens
// straight to its half of the panel's pair j (and, for the 4-bit formats, pair j + 8): no
// transpose, unlike the decoder from the stored rows (gemm_panel_avx2.cpp). The same codes and
// scales as pack_q_panel for every row of the matrix, so the GEMM's outputs keep their bits.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm_panel.hpp"
#include "kernels/packed_rows8.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace tock {
namespace {

constexpr int R = 16;  // panel rows: groups 2p and 2p + 1

template <DType kType>
void unpack(const uint8_t* packed, int64_t nb, int64_t g0, int16_t* codes, float* d, float* m) {
  const Rows8Layout l = rows8_layout(kType);
  const __m256i low = _mm256_set1_epi16(0x0F), eight = _mm256_set1_epi16(8);
  for (int64_t b = 0; b < nb; ++b) {
    int16_t* out = codes + b * 32 * R;  // pair j of rows 8h..8h+7: out + 32j + 16h
    for (int h = 0; h < 2; ++h) {
      float* db = d + b * R + 8 * h;
      float* mb = m + b * R + 8 * h;
      const uint8_t* p = packed + rows8_offset(l, nb, g0 + h, b);  // pad rows: zero scales
      const auto* units = reinterpret_cast<const __m128i*>(p + l.units_offset);
      _mm256_storeu_ps(db, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
      _mm256_storeu_ps(mb, kType == DType::Q4_1 ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + l.m_offset)))
                                               : _mm256_setzero_ps());
      if constexpr (kType == DType::Q8_0) {
        for (int j = 0; j < 16; ++j)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * j + 16 * h), _mm256_cvtepi8_epi16(_mm_loadu_si128(units + j)));
      } else {
        for (int j = 0; j < 8; ++j) {
          const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(units + j));
          __m256i lo = _mm256_and_si256(v, low), hi = _mm256_srli_epi16(v, 4);
          if constexpr (kType == DType::Q4_0) {
            lo = _mm256_sub_epi16(lo, eight);
            hi = _mm256_sub_epi16(hi, eight);
          }
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * j + 16 * h), lo);
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * (j + 8) + 16 * h), hi);
        }
      }
    }
  }
}

}  // namespace

bool pack_q_panel16_rows8_avx2(DType t, const uint8_t* packed, int64_t K, int64_t, int64_t n0, int16_t* codes,
                               float* d, float* m) {
  const int64_t nb = K / 32, g0 = n0 / kRows8;
  switch (t) {
    case DType::Q8_0: unpack<DType::Q8_0>(packed, nb, g0, codes, d, m); return true;
    case DType::Q4_0: unpack<DType::Q4_0>(packed, nb, g0, codes, d, m); return true;
    case DType::Q4_1: unpack<DType::Q4_1>(packed, nb, g0, codes, d, m); return true;
    default: return false;
  }
}

}  // namespace tock

#pragma GCC pop_options
