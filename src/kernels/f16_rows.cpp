// f16_rows.hpp: dispatch, and the F16C loop (target pragma after the includes).
#include "kernels/f16_rows.hpp"

#include <immintrin.h>

#include "core/cpu_features.hpp"
#include "kernels/quantize.hpp"

namespace tock {

void f32_to_f16_row(const float* x, uint16_t* out, int64_t n) {
  static const bool f16c = active_isa() >= Isa::Avx2;
  if (f16c) return f32_to_f16_row_f16c(x, out, n);
  quantize_row_f16(x, out, n);  // the scalar round-to-nearest-even conversion
}

}  // namespace tock

#pragma GCC push_options
#pragma GCC target("avx2,f16c")

namespace tock {

void f32_to_f16_row_f16c(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = uint16_t(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

}  // namespace tock

#pragma GCC pop_options
