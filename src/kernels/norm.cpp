#include "kernels/norm.hpp"

#include <cmath>

namespace tock {

// Sums are accumulated in double: C is small (hundreds to thousands) and the reference must be
// the accurate one; the cost is negligible next to the matmuls.
void rms_norm(const float* x, const float* w, float* out, int64_t T, int64_t C, float eps) {
  for (int64_t t = 0; t < T; ++t) {
    const float* xt = x + t * C;
    float* ot = out + t * C;
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += double(xt[c]) * xt[c];
    const float scale = float(1.0 / std::sqrt(ss / double(C) + eps));
    for (int64_t c = 0; c < C; ++c) ot[c] = xt[c] * scale * w[c];
  }
}

void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t T, int64_t C,
                float eps) {
  for (int64_t t = 0; t < T; ++t) {
    const float* xt = x + t * C;
    float* ot = out + t * C;
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += xt[c];
    const double mean = sum / double(C);
    double var = 0;
    for (int64_t c = 0; c < C; ++c) var += (xt[c] - mean) * (xt[c] - mean);
    const double rstd = 1.0 / std::sqrt(var / double(C) + eps);
    for (int64_t c = 0; c < C; ++c)
      ot[c] = float((xt[c] - mean) * rstd) * w[c] + (b ? b[c] : 0.0f);
  }
}

}  // namespace tock
