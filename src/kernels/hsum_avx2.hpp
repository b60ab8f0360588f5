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

// ((v0+v1) + (v2+v3)) + ((v4+v5) + (v6+v7)): the order of the hadd transposes that reduce 4 or 8
// vectors at once (attention scores), for a lone vector that must round the same way.
inline float hsum_pairs(__m256 v) {
  const __m256 t = _mm256_hadd_ps(v, v);  // lanes 0, 1: v0+v1, v2+v3; lanes 4, 5: v4+v5, v6+v7
  const __m256 u = _mm256_hadd_ps(t, t);  // lane 0: (v0+v1)+(v2+v3); lane 4: (v4+v5)+(v6+v7)
  return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1)));
}

}  // namespace tock
