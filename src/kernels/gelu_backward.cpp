#include "kernels/gelu_backward.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

namespace {
constexpr float kGeluScale = 0.7978845608028654f;  // √(2/π)
}

void gelu_forward(float* out, const float* inp, int64_t N) {
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float x = inp[i];
      out[i] = 0.5f * x * (1.0f + std::tanh(kGeluScale * (x + 0.044715f * x * x * x)));
    }
  }, 4096);
}

void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t N) {
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float x = inp[i];
      const float u = kGeluScale * (x + 0.044715f * x * x * x);
      const float th = std::tanh(u);
      const float sech2 = 1.0f - th * th;
      const float du = kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
      dinp[i] += (0.5f * (1.0f + th) + 0.5f * x * sech2 * du) * dout[i];
    }
  }, 4096);
}

}  // namespace tock
