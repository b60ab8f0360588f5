#include "kernels/rope_backward.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.hpp"

namespace tock {

void rope_backward(float* dx, const int32_t* pos, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                   float base, RopeStyle style) {
  const int64_t half = n_rot / 2;
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
      float* v = dx + (t * NH + h) * HS;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = style == RopeStyle::adjacent ? 2 * i : i;
        const int64_t b = style == RopeStyle::adjacent ? 2 * i + 1 : i + half;
        const float d0 = v[a], d1 = v[b];
        v[a] = d0 * cs[size_t(i)] + d1 * sn[size_t(i)];
        v[b] = -d0 * sn[size_t(i)] + d1 * cs[size_t(i)];
      }
    }
  }
}

namespace {

// Runs fn(x_rows, pos, count) over rows [0, B·T) in parallel, never across a sequence boundary.
template <typename Fn>
void over_sequence_runs(float* x, int64_t B, int64_t T, int64_t row, Fn fn) {
  std::vector<int32_t> pos(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) pos[size_t(t)] = int32_t(t);
  parallel_for(B * T, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1;) {
      const int64_t t = r % T;
      const int64_t n = std::min(r1 - r, T - t);
      fn(x + r * row, pos.data() + t, n);
      r += n;
    }
  }, 8);
}

}  // namespace

void rope_forward_batch(float* x, int64_t B, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                        float base, RopeStyle style) {
  over_sequence_runs(x, B, T, NH * HS, [&](float* rows, const int32_t* pos, int64_t n) {
    rope(rows, pos, n, NH, HS, n_rot, base, style);
  });
}

void rope_backward_batch(float* dx, int64_t B, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                         float base, RopeStyle style) {
  over_sequence_runs(dx, B, T, NH * HS, [&](float* rows, const int32_t* pos, int64_t n) {
    rope_backward(rows, pos, n, NH, HS, n_rot, base, style);
  });
}

}  // namespace tock
