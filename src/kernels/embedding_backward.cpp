#include "kernels/embedding_backward.hpp"

#include "core/thread_pool.hpp"

namespace tock {

void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int64_t B,
                     int64_t T, int64_t C) {
  parallel_for(B * T, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* e = wte + int64_t(inp[r]) * C;
      const float* p = wpe + (r % T) * C;
      float* o = out + r * C;
      for (int64_t i = 0; i < C; ++i) o[i] = e[i] + p[i];
    }
  }, 16);
}

void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int64_t B,
                      int64_t T, int64_t C) {
  // One token may occur many times: threads split the channels, so each sum has one writer.
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < B * T; ++r) {
      const float* d = dout + r * C;
      float* dw = dwte + int64_t(inp[r]) * C;
      float* dp = dwpe + (r % T) * C;
      for (int64_t i = c0; i < c1; ++i) {
        dw[i] += d[i];
        dp[i] += d[i];
      }
    }
  }, 64);
}

}  // namespace tock
