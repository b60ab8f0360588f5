#include "kernels/rmsnorm_backward.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                     int64_t C, float eps) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* x = inp + n * C;
      float* o = out + n * C;
      double ss = 0.0;
      for (int64_t c = 0; c < C; ++c) ss += double(x[c]) * x[c];
      const float s = float(1.0 / std::sqrt(ss / double(C) + eps));
      for (int64_t c = 0; c < C; ++c) o[c] = x[c] * s * weight[c];
      rstd[n] = s;
    }
  }, 16);
}

namespace {

// dinp rows [n0, n1): each row needs only its own dout, inp and rstd.
void rmsnorm_dinp_rows(float* dinp, const float* dout, const float* inp, const float* weight,
                       const float* rstd, int64_t n0, int64_t n1, int64_t C) {
  for (int64_t n = n0; n < n1; ++n) {
    const float* dy = dout + n * C;
    const float* x = inp + n * C;
    float* dx = dinp + n * C;
    const float s = rstd[n];
    float dot = 0.0f;  // Σ_c dout·w·x̂
    for (int64_t c = 0; c < C; ++c) dot += dy[c] * weight[c] * (x[c] * s);
    dot /= float(C);
    for (int64_t c = 0; c < C; ++c) dx[c] += s * (dy[c] * weight[c] - x[c] * s * dot);
  }
}

}  // namespace

void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                      const float* weight, const float* rstd, int64_t N, int64_t C) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    rmsnorm_dinp_rows(dinp, dout, inp, weight, rstd, n0, n1, C);
  }, 16);
  // dweight sums over rows: split by channel so no two threads write the same value.
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t n = 0; n < N; ++n) {
      const float* dy = dout + n * C;
      const float* x = inp + n * C;
      const float s = rstd[n];
      for (int64_t c = c0; c < c1; ++c) dweight[c] += dy[c] * (x[c] * s);
    }
  }, 64);
}

void rmsnorm_backward_ref(float* dinp, float* dweight, const float* dout, const float* inp,
                          const float* weight, const float* rstd, int64_t N, int64_t C) {
  rmsnorm_dinp_rows(dinp, dout, inp, weight, rstd, 0, N, C);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) dweight[c] += dout[n * C + c] * (inp[n * C + c] * rstd[n]);
}

}  // namespace tock
