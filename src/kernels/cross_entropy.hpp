// Softmax fused with cross-entropy over the vocabulary, for training. N = B·T positions.
#pragma once
#include <cstdint>

namespace tock {

// probs[n,:] = softmax(logits[n,:]); losses[n] = -log probs[n, targets[n]].
// logits, probs: (N, V); targets, losses: (N). targets are checked by the caller to be < V.
void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int64_t N, int64_t V);
// dlogits[n,:] += (probs[n,:] - onehot(targets[n])) · dlosses[n].  dlosses: (N).
void crossentropy_backward(float* dlogits, const float* dlosses, const float* probs,
                           const int32_t* targets, int64_t N, int64_t V);

}  // namespace tock
