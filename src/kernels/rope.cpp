#include "kernels/rope.hpp"

#include <cmath>
#include <vector>

namespace tock {

void rope(float* x, const int32_t* pos, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
          float base, RopeStyle style) {
  const int64_t half = n_rot / 2;
  // Inverse frequencies as ggml computes them: theta_i = pos * base^(-2i/n_rot), in float.
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv_freq[size_t(i)] = std::pow(base, -2.0f * float(i) / float(n_rot));
  std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const float theta = float(pos[t]) * inv_freq[size_t(i)];
      cs[size_t(i)] = std::cos(theta);
      sn[size_t(i)] = std::sin(theta);
    }
    for (int64_t h = 0; h < NH; ++h) {
      float* v = x + (t * NH + h) * HS;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = style == RopeStyle::adjacent ? 2 * i : i;
        const int64_t b = style == RopeStyle::adjacent ? 2 * i + 1 : i + half;
        const float x0 = v[a], x1 = v[b];
        v[a] = x0 * cs[size_t(i)] - x1 * sn[size_t(i)];
        v[b] = x0 * sn[size_t(i)] + x1 * cs[size_t(i)];
      }
    }
  }
}

}  // namespace tock
