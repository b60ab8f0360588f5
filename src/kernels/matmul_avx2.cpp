// AVX2 row kernels (AVX2 + FMA + F16C) for float weights: 8-wide FMA. The 32-block quantized
// formats go to the small-T kernel (matmul_small_avx2.cpp), K-quants to matmul_kquant_avx2.cpp;
// types without a kernel here fall back to scalar.
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
#include "kernels/matmul_codes_avx2.hpp"

namespace tock {
namespace {

using namespace avx2;  // this file's own: a .cpp, not a header

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
    // The 32-block formats take the small-T kernel (matmul_small_avx2.cpp) at every T below the
    // GEMM's: the scalar kernel here only names their activation format (Q16_32).
    default: return row_kernel_scalar(t);
  }
}

}  // namespace tock
