// attn_fold's value update for AVX2+FMA vectors, as inline code for files compiled with
// `#pragma GCC target("avx2,fma")` (include it after the pragma). Internal to src/kernels.
#pragma once
#include <immintrin.h>

namespace tock {

// o[0..8) = fma(a, c_new, o·c_old), bit for bit; an empty state (c_old = 0) is not read, as it
// may hold anything: a·c_new is what the fma gives for a finite o (a is never −0).
inline void attn_fold_store(float* o, __m256 a, float c_old, float c_new) {
  if (c_old == 0.0f) return _mm256_storeu_ps(o, _mm256_mul_ps(a, _mm256_set1_ps(c_new)));
  _mm256_storeu_ps(o, _mm256_fmadd_ps(a, _mm256_set1_ps(c_new), _mm256_mul_ps(_mm256_loadu_ps(o), _mm256_set1_ps(c_old))));
}

}  // namespace tock
