// Element-wise activations of the feed-forward blocks.
#pragma once
#include <cstdint>

namespace tock {

// SwiGLU (Shazeer 2020): out = silu(gate) * up, silu(x) = x / (1 + e^-x).  All (n).
void swiglu(const float* gate, const float* up, float* out, int64_t n);

// GELU, tanh approximation as GPT-2 uses it: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). In place.
void gelu_tanh(float* x, int64_t n);

// out += x, element-wise (residual connections).
void add_inplace(float* out, const float* x, int64_t n);

}  // namespace tock
