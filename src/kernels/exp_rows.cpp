#include "kernels/exp_rows.hpp"

#include <cmath>

#include "core/cpu_features.hpp"

namespace tock {

float row_max(const float* x, int64_t n) {
  if (active_isa() >= Isa::Avx2) return row_max_avx2(x, n);
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float exp_shift_sum(float* out, const float* in, int64_t n, float shift) {
  if (active_isa() >= Isa::Avx2) return exp_shift_sum_avx2(out, in, n, shift);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = std::exp(in[i] - shift);
    sum += out[i];
  }
  return sum;
}

}  // namespace tock
