// exp_rows.hpp's AVX2 versions: 8 lanes, then a scalar tail; lane sums are added in a fixed
// order, so a row's result never depends on threads.
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "kernels/exp_rows.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "kernels/exp_avx2.hpp"  // after the target pragma: its inline code is AVX2

namespace tock {

float row_max_avx2(const float* x, int64_t n) {
  int64_t i = 0;
  float m = x[0];
  if (n >= 8) {
    __m256 v = _mm256_loadu_ps(x);
    for (i = 8; i + 8 <= n; i += 8) v = _mm256_max_ps(v, _mm256_loadu_ps(x + i));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, v);
    for (float l : lanes) m = l > m ? l : m;
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float exp_shift_sum_avx2(float* out, const float* in, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(in + i), s));
    _mm256_storeu_ps(out + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  if (i < n) {  // the tail through the same vector exp (padding lanes give exp(-87) and are dropped)
    alignas(32) float t[8];
    for (int64_t j = 0; j < 8; ++j) t[j] = i + j < n ? in[i + j] : shift - 87.0f;
    _mm256_store_ps(t, exp_nonpositive(_mm256_sub_ps(_mm256_load_ps(t), s)));
    for (int64_t j = 0; i + j < n; ++j) {
      out[i + j] = t[j];
      sum += t[j];
    }
  }
  return sum;
}

}  // namespace tock

#pragma GCC pop_options
