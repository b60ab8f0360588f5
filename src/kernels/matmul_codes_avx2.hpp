// AVX2 weight codes of the 32-block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) as int16 vectors,
// for the small-T kernels (matmul_small_avx2.cpp). Inline code for
// files compiled with `#pragma GCC target("avx2,fma,f16c")` (include it after the pragma).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_formats.hpp"

namespace tock {
namespace avx2 {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

// A 32-block of weights as int16 codes: lo holds elements 0..15, hi 16..31, with any per-format
// offset (−8 for Q4_0, −16 for Q5_0) already subtracted, so Σ lo·x + hi·x is the scalar kernels'
// integer s. kMin: the format has y = d·q + m, whose m·dx·Σq_x term is added in f32.
struct Codes {
  __m256i lo, hi;
};

// 16 bytes of nibbles -> elements 0..15 (low nibbles) and 16..31 (high nibbles) as int16.
inline Codes nibbles(const uint8_t* qs) {
  const __m256i r = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  return {_mm256_and_si256(r, _mm256_set1_epi16(0x0F)), _mm256_srli_epi16(r, 4)};
}

// Q5: 16 in every int16 lane i whose bit i is set in the 16-bit mask bits.
inline __m256i fifth_bit(uint32_t bits) {
  const __m256i lane_bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                             8192, 16384, -32768);
  const __m256i set = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16(short(bits)), lane_bit), lane_bit);
  return _mm256_and_si256(set, _mm256_set1_epi16(16));
}

inline Codes q5_codes(const uint8_t* qs, const uint8_t* qh_bytes, short bias) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  Codes c = nibbles(qs);
  const __m256i b = _mm256_set1_epi16(bias);
  c.lo = _mm256_sub_epi16(_mm256_or_si256(c.lo, fifth_bit(qh & 0xFFFF)), b);
  c.hi = _mm256_sub_epi16(_mm256_or_si256(c.hi, fifth_bit(qh >> 16)), b);
  return c;
}

struct Q8_0F {
  using Block = BlockQ8_0;
  static constexpr bool kMin = false;
  static Codes codes(const Block& b) {
    return {_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs))),
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16)))};
  }
};
struct Q4_0F {
  using Block = BlockQ4_0;
  static constexpr bool kMin = false;
  static Codes codes(const Block& b) {
    const Codes c = nibbles(b.qs);
    const __m256i eight = _mm256_set1_epi16(8);
    return {_mm256_sub_epi16(c.lo, eight), _mm256_sub_epi16(c.hi, eight)};
  }
};
struct Q4_1F {
  using Block = BlockQ4_1;
  static constexpr bool kMin = true;
  static Codes codes(const Block& b) { return nibbles(b.qs); }
};
struct Q5_0F {
  using Block = BlockQ5_0;
  static constexpr bool kMin = false;
  static Codes codes(const Block& b) { return q5_codes(b.qs, b.qh, 16); }
};
struct Q5_1F {
  using Block = BlockQ5_1;
  static constexpr bool kMin = true;
  static Codes codes(const Block& b) { return q5_codes(b.qs, b.qh, 0); }
};

}  // namespace avx2
}  // namespace tock
