// AVX2 row kernels (AVX2 + FMA + F16C). Quantized weights (32-block formats): weight codes
// widened to int16, times the int16 activations with vpmaddwd, exact in i32 lanes per block,
// scaled in f32 (same integers as the scalar kernels). K-quants use the scalar kernels for now. Float weights: 8-wide FMA. Types without a kernel here fall back to scalar.
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_formats.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/hsum_avx2.hpp"

namespace tock {
namespace {

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
  static float min(const Block&) { return 0.0f; }
};
struct Q4_0F {
  using Block = BlockQ4_0;
  static constexpr bool kMin = false;
  static Codes codes(const Block& b) {
    const Codes c = nibbles(b.qs);
    const __m256i eight = _mm256_set1_epi16(8);
    return {_mm256_sub_epi16(c.lo, eight), _mm256_sub_epi16(c.hi, eight)};
  }
  static float min(const Block&) { return 0.0f; }
};
struct Q4_1F {
  using Block = BlockQ4_1;
  static constexpr bool kMin = true;
  static Codes codes(const Block& b) { return nibbles(b.qs); }
  static float min(const Block& b) { return half(b.m); }
};
struct Q5_0F {
  using Block = BlockQ5_0;
  static constexpr bool kMin = false;
  static Codes codes(const Block& b) { return q5_codes(b.qs, b.qh, 16); }
  static float min(const Block&) { return 0.0f; }
};
struct Q5_1F {
  using Block = BlockQ5_1;
  static constexpr bool kMin = true;
  static Codes codes(const Block& b) { return q5_codes(b.qs, b.qh, 0); }
  static float min(const Block& b) { return half(b.m); }
};

// Σ w·x over one 32-block as 8 i32 lanes (each lane exact: |4 products| < 2³¹).
inline __m256i block_dot(const Codes& w, const BlockQ16_32& x) {
  const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
  const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 16));
  return _mm256_add_epi32(_mm256_madd_epi16(w.lo, x0), _mm256_madd_epi16(w.hi, x1));
}

template <typename F>
struct QTile {
  template <int NT>
  struct Tile {
    static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
      const auto* wb = reinterpret_cast<const typename F::Block*>(w);
      const BlockQ16_32* xb[NT];
      __m256 acc0[NT], acc1[NT];  // even and odd blocks: two chains hide the FMA latency
      float mins[NT];
      for (int t = 0; t < NT; ++t) {
        xb[t] = static_cast<const BlockQ16_32*>(x[t]);
        acc0[t] = acc1[t] = _mm256_setzero_ps();
        mins[t] = 0.0f;
      }
      auto step = [&](int64_t b, __m256* acc) {
        const Codes q = F::codes(wb[b]);
        const float dw = half(wb[b].d);
        for (int t = 0; t < NT; ++t) {
          const BlockQ16_32& xt = xb[t][b];
          acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xt.d), _mm256_cvtepi32_ps(block_dot(q, xt)), acc[t]);
          if constexpr (F::kMin) mins[t] += F::min(wb[b]) * xt.d * float(xt.isum);
        }
      };
      const int64_t nb = K / 32;
      int64_t b = 0;
      for (; b + 2 <= nb; b += 2) {
        step(b, acc0);
        step(b + 1, acc1);
      }
      if (b < nb) step(b, acc0);
      for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t])) + mins[t];
    }
  };
};

// ---- float weights -----------------------------------------------------------------------

struct LoadF32 {
  static __m256 v(const uint8_t* w, int64_t k) { return _mm256_loadu_ps(reinterpret_cast<const float*>(w) + k); }
  static float s(const uint8_t* w, int64_t k) { return reinterpret_cast<const float*>(w)[k]; }
};
struct LoadF16 {
  static __m256 v(const uint8_t* w, int64_t k) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * k)));
  }
  static float s(const uint8_t* w, int64_t k) { return half(reinterpret_cast<const uint16_t*>(w)[k]); }
};
struct LoadBF16 {
  static __m256 v(const uint8_t* w, int64_t k) {
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * k)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
  }
  static float s(const uint8_t* w, int64_t k) {
    const uint32_t bits = uint32_t(reinterpret_cast<const uint16_t*>(w)[k]) << 16;
    return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(int(bits))));
  }
};

template <typename Load>
struct FloatRows {
  template <int NT>
  struct Tile {
    static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
      const float* xs[NT];
      __m256 acc0[NT], acc1[NT];  // two chains per row hide the FMA latency
      for (int t = 0; t < NT; ++t) {
        xs[t] = static_cast<const float*>(x[t]);
        acc0[t] = acc1[t] = _mm256_setzero_ps();
      }
      int64_t k = 0;
      for (; k + 16 <= K; k += 16) {
        const __m256 w0 = Load::v(w, k), w1 = Load::v(w, k + 8);
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs[t] + k), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xs[t] + k + 8), acc1[t]);
        }
      }
      for (; k + 8 <= K; k += 8) {
        const __m256 w0 = Load::v(w, k);
        for (int t = 0; t < NT; ++t) acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs[t] + k), acc0[t]);
      }
      for (int t = 0; t < NT; ++t) {
        float r = hsum(_mm256_add_ps(acc0[t], acc1[t]));
        for (int64_t j = k; j < K; ++j) r += Load::s(w, j) * xs[t][j];
        out[t] = r;
      }
    }
  };
};

// Chooses the tile instance for nt activation rows.
template <template <int> class Tile>
void rows(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out) {
  switch (nt) {
    case 1: Tile<1>::run(K, w, x, out); break;
    case 2: Tile<2>::run(K, w, x, out); break;
    case 3: Tile<3>::run(K, w, x, out); break;
    default: Tile<4>::run(K, w, x, out); break;
  }
}
static_assert(kMaxRows == 4);

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

RowKernel row_kernel_avx2(DType t) {
  switch (t) {
    case DType::F32: return {ActFormat::F32, rows<FloatRows<LoadF32>::Tile>};
    case DType::F16: return {ActFormat::F32, rows<FloatRows<LoadF16>::Tile>};
    case DType::BF16: return {ActFormat::F32, rows<FloatRows<LoadBF16>::Tile>};
    case DType::Q8_0: return {ActFormat::Q16_32, rows<QTile<Q8_0F>::Tile>};
    case DType::Q4_0: return {ActFormat::Q16_32, rows<QTile<Q4_0F>::Tile>};
    case DType::Q4_1: return {ActFormat::Q16_32, rows<QTile<Q4_1F>::Tile>};
    case DType::Q5_0: return {ActFormat::Q16_32, rows<QTile<Q5_0F>::Tile>};
    case DType::Q5_1: return {ActFormat::Q16_32, rows<QTile<Q5_1F>::Tile>};
    default: return row_kernel_scalar(t);
  }
}

}  // namespace tock
