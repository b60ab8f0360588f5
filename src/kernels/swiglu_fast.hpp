// SwiGLU for the inference fast path: out = silu(gate)·up with a vector exp (Cephes expf,
// ~1 ulp) where the CPU has AVX2, else activation.hpp's swiglu. Not bit-identical to swiglu
// (libm's expf), so the exact path and training keep swiglu. Prefill spent ~7% of its CPU time
// in the scalar loop's expf (SmolLM2-135M, 512 tokens: 30 × 512 × 1536 calls).
#pragma once
#include <cstdint>

namespace tock {

// out[i] = gate[i] / (1 + e^-gate[i]) · up[i], i < n. out may be gate or up.
void swiglu_fast(const float* gate, const float* up, float* out, int64_t n);

// The AVX2 version (call only where the CPU has AVX2 and FMA).
void swiglu_avx2(const float* gate, const float* up, float* out, int64_t n);

}  // namespace tock
