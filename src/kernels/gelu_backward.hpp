// GELU (tanh approximation, as GPT-2) for training: out-of-place forward and its backward,
// threaded, vectorized (gelu_avx2.cpp: tanh from a vector exp) where the CPU has AVX2.
#pragma once
#include <cstdint>

namespace tock {

// out = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).  out, inp: (N).
void gelu_forward(float* out, const float* inp, int64_t N);
// dinp += gelu'(inp) · dout.  All (N).
void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t N);
// The same with libm's tanh, one element at a time, single-threaded (the reference; and the
// path on CPUs without AVX2 or with TOCK_ISA=scalar, split over threads there).
void gelu_forward_ref(float* out, const float* inp, int64_t N);
void gelu_backward_ref(float* dinp, const float* inp, const float* dout, int64_t N);

}  // namespace tock
