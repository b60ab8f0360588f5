// Numerically stable softmax over one row.
#pragma once
#include <cstdint>

namespace tock {

// x (n) → softmax(x) in place: exp(x - max) / Σ exp(x - max).
void softmax_inplace(float* x, int64_t n);

}  // namespace tock
