// GELU (tanh approximation, as GPT-2) for training: out-of-place forward and its backward.
#pragma once
#include <cstdint>

namespace tock {

// out = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).  out, inp: (N).
void gelu_forward(float* out, const float* inp, int64_t N);
// dinp += gelu'(inp) · dout.  All (N).
void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t N);

}  // namespace tock
