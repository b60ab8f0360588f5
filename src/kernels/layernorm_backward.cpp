#include "kernels/layernorm_backward.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

namespace {

// Row sums in 8 interleaved partial sums (lane j takes i ≡ j mod 8, the tail goes to lane 0),
// added pairwise at the end: the compiler keeps them in vector registers, where one running
// float sum is a chain of dependent adds (~4 cycles each). Fixed order: thread-invariant.
constexpr int64_t kLanes = 8;

float reduce(const float p[kLanes]) {
  return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

// Σ f(i) for i in [0, C).
template <typename F>
float lane_sum(int64_t C, F f) {
  float p[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= C; i += kLanes)
    for (int64_t j = 0; j < kLanes; ++j) p[j] += f(i + j);
  for (; i < C; ++i) p[0] += f(i);
  return reduce(p);
}

}  // namespace

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* x = inp + n * C;
      const float m = lane_sum(C, [&](int64_t i) { return x[i]; }) / float(C);
      const float v = lane_sum(C, [&](int64_t i) { return (x[i] - m) * (x[i] - m); }) / float(C);
      const float s = 1.0f / std::sqrt(v + eps);
      float* o = out + n * C;
      for (int64_t i = 0; i < C; ++i) o[i] = (x[i] - m) * s * weight[i] + bias[i];
      mean[n] = m;
      rstd[n] = s;
    }
  }, 16);
}

void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C) {
  // dinp: rows are independent. With norm = (x - mean)·rstd and dnorm = weight·dout:
  // dx = (dnorm - mean(dnorm) - norm·mean(dnorm·norm))·rstd.
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* x = inp + n * C;
      const float* dy = dout + n * C;
      const float m = mean[n], s = rstd[n];
      const float dnorm_mean = lane_sum(C, [&](int64_t i) { return weight[i] * dy[i]; }) / float(C);
      const float dnorm_norm_mean =
          lane_sum(C, [&](int64_t i) { return weight[i] * dy[i] * ((x[i] - m) * s); }) / float(C);
      float* dx = dinp + n * C;
      for (int64_t i = 0; i < C; ++i) {
        const float norm = (x[i] - m) * s;
        const float dnorm = weight[i] * dy[i];
        dx[i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
      }
    }
  }, 16);
  // dweight, dbias: sums over rows; threads split the channels so no two write one sum. A
  // 64-wide band's running sums stay in local arrays (registers), in the order of the rows.
  constexpr int64_t kBand = 64;
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t b0 = c0; b0 < c1; b0 += kBand) {
      const int64_t w = std::min(kBand, c1 - b0);
      float dw[kBand] = {}, db[kBand] = {};
      for (int64_t i = 0; i < w; ++i) {
        dw[i] = dweight[b0 + i];
        db[i] = dbias[b0 + i];
      }
      for (int64_t n = 0; n < N; ++n) {
        const float* x = inp + n * C + b0;
        const float* dy = dout + n * C + b0;
        const float m = mean[n], s = rstd[n];
        for (int64_t i = 0; i < w; ++i) {
          dw[i] += (x[i] - m) * s * dy[i];
          db[i] += dy[i];
        }
      }
      for (int64_t i = 0; i < w; ++i) {
        dweight[b0 + i] = dw[i];
        dbias[b0 + i] = db[i];
      }
    }
  }, kBand);
}

}  // namespace tock
