// AVX2 row kernels (AVX2 + FMA + F16C). Quantized weights: unsigned/signed byte products via
// vpmaddubsw + vpmaddwd, exact in i32 per block, scaled in f32 (same integers as the scalar
// kernels). Float weights: 8-wide FMA. Types without a kernel here fall back to scalar.
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "core/block_formats.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace tock {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float half(uint16_t h) { return _cvtsh_ss(h); }

// 16 bytes of nibbles -> 32 bytes 0..15: low nibbles first (elements 0..15), then high.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// Σ u8·s8 over 32 bytes as 8 i32 lanes.
inline __m256i dot_u8s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

template <int NT>
struct Q4_0Tile {
  static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
    const auto* wb = reinterpret_cast<const BlockQ4_0*>(w);
    const BlockQ8_32* xb[NT];
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) {
      xb[t] = static_cast<const BlockQ8_32*>(x[t]);
      acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < K / 32; ++b) {
      const __m256i q = unpack_nibbles(wb[b].qs);
      const float dw = half(wb[b].d);
      for (int t = 0; t < NT; ++t) {
        const BlockQ8_32& xt = xb[t][b];
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt.qs));
        // Σ(q−8)·x = Σq·x − 8·Σx: subtracting Σx from each of the 8 lanes.
        const __m256i p = _mm256_sub_epi32(dot_u8s8(q, xq), _mm256_set1_epi32(xt.isum));
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xt.d), _mm256_cvtepi32_ps(p), acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
  }
};

template <int NT>
struct Q4_1Tile {
  static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
    const auto* wb = reinterpret_cast<const BlockQ4_1*>(w);
    const BlockQ8_32* xb[NT];
    __m256 acc[NT];
    float mins[NT];
    for (int t = 0; t < NT; ++t) {
      xb[t] = static_cast<const BlockQ8_32*>(x[t]);
      acc[t] = _mm256_setzero_ps();
      mins[t] = 0.0f;
    }
    for (int64_t b = 0; b < K / 32; ++b) {
      const __m256i q = unpack_nibbles(wb[b].qs);
      const float dw = half(wb[b].d), mw = half(wb[b].m);
      for (int t = 0; t < NT; ++t) {
        const BlockQ8_32& xt = xb[t][b];
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt.qs));
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xt.d), _mm256_cvtepi32_ps(dot_u8s8(q, xq)), acc[t]);
        mins[t] += mw * xt.d * float(xt.isum);
      }
    }
    for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]) + mins[t];
  }
};

template <int NT>
struct Q8_0Tile {
  static void run(int64_t K, const uint8_t* w, const void* const* x, float* out) {
    const auto* wb = reinterpret_cast<const BlockQ8_0*>(w);
    const BlockQ8_32* xb[NT];
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) {
      xb[t] = static_cast<const BlockQ8_32*>(x[t]);
      acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < K / 32; ++b) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb[b].qs));
      const __m256i aq = _mm256_sign_epi8(q, q);  // |w| as u8 (|−128| = 128 fits)
      const float dw = half(wb[b].d);
      for (int t = 0; t < NT; ++t) {
        const BlockQ8_32& xt = xb[t][b];
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt.qs));
        const __m256i p = dot_u8s8(aq, _mm256_sign_epi8(xq, q));  // |w|·(x·sign w) = w·x
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xt.d), _mm256_cvtepi32_ps(p), acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
  }
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
    case DType::Q8_0: return {ActFormat::Q8_32, rows<Q8_0Tile>};
    case DType::Q4_0: return {ActFormat::Q8_32, rows<Q4_0Tile>};
    case DType::Q4_1: return {ActFormat::Q8_32, rows<Q4_1Tile>};
    default: return row_kernel_scalar(t);
  }
}

}  // namespace tock
