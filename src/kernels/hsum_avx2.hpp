// The sum of an AVX2 vector's 8 lanes, as inline code for files compiled with
// `#pragma GCC target("avx2,...")` (include it after the pragma). Internal to src/kernels.
#pragma once
#include <immintrin.h>

namespace tock {

// ((v0+v4) + (v2+v6)) + ((v1+v5) + (v3+v7)): the order every AVX2 kernel here sums in.
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace tock
