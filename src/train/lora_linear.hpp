// A LoRA adapter on one linear layer (Hu et al. 2021): y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with A (r, in),
// B (out, r), s = alpha / r. W stays frozen (only read); the backward gives A's and B's
// gradients and x's. merge() folds the adapter into W' = W + s·B·A, whose plain product then
// equals the adapted one. B starts at zero, so a fresh adapter leaves the layer unchanged.
// Not yet wired into LlamaTrainModel (issue #8 follow-up): this is the per-layer math.
#pragma once
#include <cstdint>

namespace tock {

struct LoraShape {
  int64_t in = 0, out = 0, rank = 0;
  float alpha = 0.0f;
  float scale() const { return alpha / float(rank); }
};

// y (N, out); xa (N, r) receives x·Aᵀ for the backward. x (N, in), W (out, in).
void lora_forward(float* y, float* xa, const float* x, const float* W, const float* A,
                  const float* B, int64_t N, const LoraShape& s);
// Adds to dA (r, in), dB (out, r) and, unless null, dx (N, in); dy (N, out).
void lora_backward(float* dx, float* dA, float* dB, const float* dy, const float* x,
                   const float* xa, const float* W, const float* A, const float* B, int64_t N,
                   const LoraShape& s);
// merged (out, in) = W + s·B·A.
void lora_merge(float* merged, const float* W, const float* A, const float* B, const LoraShape& s);

}  // namespace tock
