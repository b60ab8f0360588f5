// Normalisations over the channel dimension, one row at a time.
#pragma once
#include <cstdint>

namespace tock {

// RMSNorm (Zhang & Sennrich 2019): out = x / sqrt(mean(x²) + eps) * w.  x, out: (T, C); w: (C).
void rms_norm(const float* x, const float* w, float* out, int64_t T, int64_t C, float eps);

// LayerNorm (Ba et al. 2016): out = (x - mean) / sqrt(var + eps) * w + b.  b may be null.
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t T, int64_t C,
                float eps);

}  // namespace tock
