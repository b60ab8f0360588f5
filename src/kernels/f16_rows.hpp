// f32 -> IEEE half rows for the inference KV cache: F16C's vcvtps2ph (round to nearest even)
// where the CPU has AVX2 (our Avx2 level includes F16C), else the scalar f32_to_f16. Both give
// the same bits for every finite value and infinity; a NaN stays a NaN (payloads may differ).
// Writing a prefill's keys and values through the scalar conversion took ~3% of prefill
// (SmolLM2-135M: 30 layers x 384 values per token at ~17 cycles each).
#pragma once
#include <cstdint>

namespace tock {

// out[i] = half(x[i]), i < n.
void f32_to_f16_row(const float* x, uint16_t* out, int64_t n);

// The F16C version (call only where the CPU has F16C).
void f32_to_f16_row_f16c(const float* x, uint16_t* out, int64_t n);

}  // namespace tock
