// AVX-512 row kernels (F + BW + VL + VNNI). Quantized weights: vpdpbusd (u8·s8 summed into i32
// lanes in one instruction), two 32-blocks per 512-bit register; exact per-block integers as in
// the scalar kernels. Float weights: 16-wide FMA. Other types fall back to the AVX2 kernels.
// g++ 12 warns inside its own AVX-512 headers (the self-initialised _mm512_undefined_* used by
// the cast/insert/convert intrinsics; GCC PR 105593): silence just those two warnings here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "core/block_formats.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")

namespace tock {
namespace {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

// 16 bytes of nibbles -> 32 bytes 0..15: low nibbles first (elements 0..15), then high.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m512 join_scale(float lo, float hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(lo)),
                                              _mm256_castps_pd(_mm256_set1_ps(hi)), 1));
}

inline __m512i load_x_pair(const BlockQ8_32* xb, int64_t b) {
  return join(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[b].qs)),
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[b + 1].qs)));
}

inline __m512i isum_pair(const BlockQ8_32* xb, int64_t b) {
  return join(_mm256_set1_epi32(xb[b].isum), _mm256_set1_epi32(xb[b + 1].isum));
}

// Weight formats for 32-blocks: the weight bytes as u8 for vpdpbusd plus a correction that
// turns Σu·x into the true integer Σq·x, and the f32 terms outside the integer dot.
//   Q4_0: u = q (0..15), true = Σu·x − 8·Σx.  Q4_1: u = q, plus m·dx·Σx.  Q8_0: u = q + 128
//   (flip the sign bit), true = Σu·x − 128·Σx. Lane form: each of the 8 lanes subtracts c·Σx/8.
struct Q4_0F {
  using Block = BlockQ4_0;
  static constexpr int kBias = 1;  // per-lane multiple of Σx to subtract (8 lanes · 1 = 8)
  static constexpr bool kMin = false;
  static __m256i u(const Block& b) { return unpack_nibbles(b.qs); }
};
struct Q4_1F {
  using Block = BlockQ4_1;
  static constexpr int kBias = 0;
  static constexpr bool kMin = true;
  static __m256i u(const Block& b) { return unpack_nibbles(b.qs); }
};
struct Q8_0F {
  using Block = BlockQ8_0;
  static constexpr int kBias = 16;  // 8 lanes · 16 = 128
  static constexpr bool kMin = false;
  static __m256i u(const Block& b) {
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)),
                            _mm256_set1_epi8(char(0x80)));
  }
};

inline float min_of(const BlockQ4_1& b) { return half(b.m); }
template <typename B>
inline float min_of(const B&) { return 0.0f; }

template <typename F>
struct QTile {
  template <int NT>
  struct Tile {
    static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
      const auto* wb = reinterpret_cast<const typename F::Block*>(w);
      const BlockQ8_32* xb[NT];
      __m512 acc[NT];
      float mins[NT];
      for (int t = 0; t < NT; ++t) {
        xb[t] = static_cast<const BlockQ8_32*>(x[t]);
        acc[t] = _mm512_setzero_ps();
        mins[t] = 0.0f;
      }
      const int64_t nb = K / 32;
      int64_t b = 0;
      for (; b + 2 <= nb; b += 2) {
        const __m512i u = join(F::u(wb[b]), F::u(wb[b + 1]));
        const float d0 = half(wb[b].d), d1 = half(wb[b + 1].d);
        for (int t = 0; t < NT; ++t) {
          __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, load_x_pair(xb[t], b));
          if constexpr (F::kBias != 0)
            p = _mm512_sub_epi32(p, _mm512_mullo_epi32(isum_pair(xb[t], b), _mm512_set1_epi32(F::kBias)));
          const __m512 s = join_scale(d0 * xb[t][b].d, d1 * xb[t][b + 1].d);
          acc[t] = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(p), acc[t]);
          if constexpr (F::kMin) {
            mins[t] += min_of(wb[b]) * xb[t][b].d * float(xb[t][b].isum);
            mins[t] += min_of(wb[b + 1]) * xb[t][b + 1].d * float(xb[t][b + 1].isum);
          }
        }
      }
      float tail[NT];
      for (int t = 0; t < NT; ++t) tail[t] = 0.0f;
      if (b < nb) {  // an odd block count: the last block with 256-bit vectors
        const __m256i u = F::u(wb[b]);
        const float d0 = half(wb[b].d);
        for (int t = 0; t < NT; ++t) {
          const BlockQ8_32& xt = xb[t][b];
          const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt.qs));
          __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, xq);
          if constexpr (F::kBias != 0)
            p = _mm256_sub_epi32(p, _mm256_set1_epi32(F::kBias * xt.isum));
          const __m256 f = _mm256_mul_ps(_mm256_set1_ps(d0 * xt.d), _mm256_cvtepi32_ps(p));
          __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));
          s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
          s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
          tail[t] = _mm_cvtss_f32(s4);
          if constexpr (F::kMin) mins[t] += min_of(wb[b]) * xt.d * float(xt.isum);
        }
      }
      for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) + tail[t] + mins[t];
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
    case DType::Q8_0: return {ActFormat::Q8_32, rows<QTile<Q8_0F>::Tile>};
    case DType::Q4_0: return {ActFormat::Q8_32, rows<QTile<Q4_0F>::Tile>};
    case DType::Q4_1: return {ActFormat::Q8_32, rows<QTile<Q4_1F>::Tile>};
    default: return row_kernel_avx2(t);
  }
}

}  // namespace tock
