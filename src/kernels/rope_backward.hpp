// RoPE for training: the backward of rope.hpp's rotation, and both directions over a whole
// batch of sequences on the thread pool. A rotation's backward is its transpose (rotation by
// −θ), so the gradient needs no saved activations; it is rope() itself at negated positions, so
// training's angles are bit for bit inference's.
#pragma once
#include <cstdint>

#include "kernels/rope.hpp"

namespace tock {

// dx: (T, NH, HS) gradients with respect to rope's output; overwritten in place by those with
// respect to its input: pair (a, b) of head dims gets (da·cos θ + db·sin θ, −da·sin θ + db·cos θ).
void rope_backward(float* dx, const int32_t* pos, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                   float base, RopeStyle style);

// x: (B, T, NH, HS); the token at t of each sequence has position t. In place, rows split over
// the threads; each run of rows within one sequence is one rope()/rope_backward() call.
void rope_forward_batch(float* x, int64_t B, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                        float base, RopeStyle style);
void rope_backward_batch(float* dx, int64_t B, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                         float base, RopeStyle style);

}  // namespace tock
