#include "kernels/rope_backward.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"

namespace tock {

// Rotation by −θ is rope() at the negated positions: float(−p)·f = −(float(p)·f) exactly, and
// cos/sin are even/odd exactly, so the angles are bit for bit those of the forward.
void rope_backward(float* dx, const int32_t* pos, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
                   float base, RopeStyle style) {
  std::vector<int32_t> neg(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) neg[size_t(t)] = -pos[t];
  rope(dx, neg.data(), T, NH, HS, n_rot, base, style);
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
