#include "kernels/layernorm_backward.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* x = inp + n * C;
      float m = 0.0f;
      for (int64_t i = 0; i < C; ++i) m += x[i];
      m /= float(C);
      float v = 0.0f;
      for (int64_t i = 0; i < C; ++i) v += (x[i] - m) * (x[i] - m);
      v /= float(C);
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
      float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
      for (int64_t i = 0; i < C; ++i) {
        const float norm = (x[i] - m) * s;
        const float dnorm = weight[i] * dy[i];
        dnorm_mean += dnorm;
        dnorm_norm_mean += dnorm * norm;
      }
      dnorm_mean /= float(C);
      dnorm_norm_mean /= float(C);
      float* dx = dinp + n * C;
      for (int64_t i = 0; i < C; ++i) {
        const float norm = (x[i] - m) * s;
        const float dnorm = weight[i] * dy[i];
        dx[i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
      }
    }
  }, 16);
  // dweight, dbias: sums over rows; threads split the channels so no two write one sum.
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t n = 0; n < N; ++n) {
      const float* x = inp + n * C;
      const float* dy = dout + n * C;
      const float m = mean[n], s = rstd[n];
      for (int64_t i = c0; i < c1; ++i) {
        dweight[i] += (x[i] - m) * s * dy[i];
        dbias[i] += dy[i];
      }
    }
  }, 64);
}

}  // namespace tock
