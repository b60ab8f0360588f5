// swiglu_fast.hpp: dispatch, and the AVX2 loop. sigmoid(g) from e = exp(−|g|) ∈ (0, 1] so the
// exp never overflows: sigmoid(|g|) = 1/(1 + e), sigmoid(−|g|) = e/(1 + e).
// Compiled with a target pragma after the includes; only the AVX2 function gets it.
#include "kernels/swiglu_fast.hpp"

#include <immintrin.h>

#include "core/cpu_features.hpp"
#include "kernels/activation.hpp"

namespace tock {

void swiglu_fast(const float* gate, const float* up, float* out, int64_t n) {
  static const bool avx2 = active_isa() >= Isa::Avx2;
  if (avx2)
    swiglu_avx2(gate, up, out, n);
  else
    swiglu(gate, up, out, n);
}

}  // namespace tock

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "kernels/exp_avx2.hpp"  // after the target pragma: its inline code is AVX2

namespace tock {
namespace {

inline __m256 silu_times(__m256 g, __m256 u) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_nonpositive(_mm256_or_ps(g, sign));  // exp(−|g|)
  __m256 num = _mm256_blendv_ps(one, e, g);                 // g < 0 (sign bit set): e
  // Below −87 the exp is clamped (exp_avx2.hpp): silu is 0 to f32 there (libm: g / inf).
  num = _mm256_andnot_ps(_mm256_cmp_ps(g, _mm256_set1_ps(-87.0f), _CMP_LT_OQ), num);
  return _mm256_mul_ps(_mm256_mul_ps(g, _mm256_div_ps(num, _mm256_add_ps(one, e))), u);
}

}  // namespace

void swiglu_avx2(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, silu_times(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  if (i < n) {  // the tail through one zero-padded vector
    alignas(32) float g[8] = {}, u[8] = {}, o[8];
    for (int64_t j = i; j < n; ++j) {
      g[j - i] = gate[j];
      u[j - i] = up[j];
    }
    _mm256_store_ps(o, silu_times(_mm256_load_ps(g), _mm256_load_ps(u)));
    for (int64_t j = i; j < n; ++j) out[j] = o[j - i];
  }
}

}  // namespace tock

#pragma GCC pop_options
