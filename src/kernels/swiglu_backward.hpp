// SwiGLU (Shazeer 2020) for training: the forward over a batch on the thread pool (the same
// formula as activation.hpp's swiglu) and its backward. All arrays (n) = (B·T·F).
#pragma once
#include <cstdint>

namespace tock {

// out = silu(gate) · up, silu(x) = x·σ(x).
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

// Accumulates (+=): dgate += dout · up · σ(g)·(1 + g·(1 − σ(g)));  dup += dout · silu(g).
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n);
// The plain single-threaded loop the fast version is tested against.
void swiglu_backward_ref(float* dgate, float* dup, const float* dout, const float* gate,
                         const float* up, int64_t n);

}  // namespace tock
