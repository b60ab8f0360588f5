// AVX-512 row kernels (F + BW + VL + VNNI). Quantized weights (32-block formats): the 32 weight
// codes widened to int16 fill one 512-bit register, times the int16 activations with vpdpwssd
// (VNNI is part of the Avx512 level); exact per-block integers as in the scalar kernels.
// K-quants use the scalar kernels for now (via the AVX2 table). Float weights: 16-wide FMA. Other types fall back to the AVX2 kernels.
// g++ 12 warns inside its own AVX-512 headers (the self-initialised _mm512_undefined_* used by
// the cast/insert/convert intrinsics; GCC PR 105593): silence just those two warnings here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_formats.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")

namespace tock {
namespace {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

// A 32-block of weights as 32 int16 codes in one register (element i in lane i), with any
// per-format offset (−8 for Q4_0, −16 for Q5_0) already subtracted, so Σ codes·x is the scalar
// kernels' integer s. kMin: the format has y = d·q + m, whose m·dx·Σq_x term is added in f32.

// 16 bytes of nibbles -> elements 0..15 (low nibbles) and 16..31 (high nibbles) as int16.
inline __m512i nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
  return _mm512_cvtepu8_epi16(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)));
}

// Q5: the fifth bit of element i is bit i of qh, which is exactly a 32-lane mask: add 16 there.
inline __m512i q5_codes(const uint8_t* qs, const uint8_t* qh_bytes, short bias) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  const __m512i c = nibbles(qs);
  return _mm512_sub_epi16(_mm512_mask_add_epi16(c, __mmask32(qh), c, _mm512_set1_epi16(16)),
                          _mm512_set1_epi16(bias));
}

struct Q8_0F {
  using Block = BlockQ8_0;
  static constexpr bool kMin = false;
  static __m512i codes(const Block& b) {
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)));
  }
  static float min(const Block&) { return 0.0f; }
};
struct Q4_0F {
  using Block = BlockQ4_0;
  static constexpr bool kMin = false;
  static __m512i codes(const Block& b) { return _mm512_sub_epi16(nibbles(b.qs), _mm512_set1_epi16(8)); }
  static float min(const Block&) { return 0.0f; }
};
struct Q4_1F {
  using Block = BlockQ4_1;
  static constexpr bool kMin = true;
  static __m512i codes(const Block& b) { return nibbles(b.qs); }
  static float min(const Block& b) { return half(b.m); }
};
struct Q5_0F {
  using Block = BlockQ5_0;
  static constexpr bool kMin = false;
  static __m512i codes(const Block& b) { return q5_codes(b.qs, b.qh, 16); }
  static float min(const Block&) { return 0.0f; }
};
struct Q5_1F {
  using Block = BlockQ5_1;
  static constexpr bool kMin = true;
  static __m512i codes(const Block& b) { return q5_codes(b.qs, b.qh, 0); }
  static float min(const Block& b) { return half(b.m); }
};

// vpdpwssd: Σ w·x over one 32-block as 16 i32 lanes of 2 products each (exact).
template <typename F>
struct QTile {
  template <int NT>
  struct Tile {
    static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
      const auto* wb = reinterpret_cast<const typename F::Block*>(w);
      const BlockQ16_32* xb[NT];
      __m512 acc0[NT], acc1[NT];  // even and odd blocks: two chains hide the FMA latency
      float mins[NT];
      for (int t = 0; t < NT; ++t) {
        xb[t] = static_cast<const BlockQ16_32*>(x[t]);
        acc0[t] = acc1[t] = _mm512_setzero_ps();
        mins[t] = 0.0f;
      }
      auto step = [&](int64_t b, __m512* acc) {
        const __m512i q = F::codes(wb[b]);
        const float dw = half(wb[b].d);
        for (int t = 0; t < NT; ++t) {
          const BlockQ16_32& xt = xb[t][b];
          const __m512i p = _mm512_dpwssd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(xt.qs));
          acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(dw * xt.d), _mm512_cvtepi32_ps(p), acc[t]);
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
      for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[t], acc1[t])) + mins[t];
    }
  };
};

// ---- float weights -----------------------------------------------------------------------

struct LoadF32 {
  static __m512 v(const uint8_t* w, int64_t k) { return _mm512_loadu_ps(reinterpret_cast<const float*>(w) + k); }
  static __m512 tail(const uint8_t* w, int64_t k, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(w) + k);
  }
};
struct LoadF16 {
  static __m512 v(const uint8_t* w, int64_t k) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * k)));
  }
  static __m512 tail(const uint8_t* w, int64_t k, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 2 * k));
  }
};
struct LoadBF16 {
  static __m512 v(const uint8_t* w, int64_t k) {
    const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * k)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
  }
  static __m512 tail(const uint8_t* w, int64_t k, __mmask16 m) {
    const __m512i h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + 2 * k));
    return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
  }
};

template <typename Load>
struct FloatRows {
  template <int NT>
  struct Tile {
    static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
      const float* xs[NT];
      __m512 acc0[NT], acc1[NT];  // two chains per row hide the FMA latency
      for (int t = 0; t < NT; ++t) {
        xs[t] = static_cast<const float*>(x[t]);
        acc0[t] = acc1[t] = _mm512_setzero_ps();
      }
      int64_t k = 0;
      for (; k + 32 <= K; k += 32) {
        const __m512 w0 = Load::v(w, k), w1 = Load::v(w, k + 16);
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xs[t] + k), acc0[t]);
          acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xs[t] + k + 16), acc1[t]);
        }
      }
      for (; k < K; k += 16) {  // masked: the last 1..16 elements
        const int64_t left = K - k;
        const __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
        const __m512 w0 = Load::tail(w, k, m);
        for (int t = 0; t < NT; ++t)
          acc0[t] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, xs[t] + k), acc0[t]);
      }
      for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[t], acc1[t]));
    }
  };
};

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

RowKernel row_kernel_avx512(DType t) {
  switch (t) {
    case DType::F32: return {ActFormat::F32, rows<FloatRows<LoadF32>::Tile>};
    case DType::F16: return {ActFormat::F32, rows<FloatRows<LoadF16>::Tile>};
    case DType::BF16: return {ActFormat::F32, rows<FloatRows<LoadBF16>::Tile>};
    case DType::Q8_0: return {ActFormat::Q16_32, rows<QTile<Q8_0F>::Tile>};
    case DType::Q4_0: return {ActFormat::Q16_32, rows<QTile<Q4_0F>::Tile>};
    case DType::Q4_1: return {ActFormat::Q16_32, rows<QTile<Q4_1F>::Tile>};
    case DType::Q5_0: return {ActFormat::Q16_32, rows<QTile<Q5_0F>::Tile>};
    case DType::Q5_1: return {ActFormat::Q16_32, rows<QTile<Q5_1F>::Tile>};
    default: return row_kernel_avx2(t);
  }
}

}  // namespace tock
