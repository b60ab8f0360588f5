#include "kernels/gelu_backward.hpp"

#include <cmath>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gelu_kernels.hpp"

namespace tock {

namespace {
constexpr float kGeluScale = 0.7978845608028654f;  // √(2/π)
}

void gelu_forward_ref(float* out, const float* inp, int64_t N) {
  for (int64_t i = 0; i < N; ++i) {
    const float x = inp[i];
    out[i] = 0.5f * x * (1.0f + std::tanh(kGeluScale * (x + 0.044715f * x * x * x)));
  }
}

void gelu_backward_ref(float* dinp, const float* inp, const float* dout, int64_t N) {
  for (int64_t i = 0; i < N; ++i) {
    const float x = inp[i];
    const float u = kGeluScale * (x + 0.044715f * x * x * x);
    const float th = std::tanh(u);
    const float sech2 = 1.0f - th * th;
    const float du = kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
    dinp[i] += (0.5f * (1.0f + th) + 0.5f * x * sech2 * du) * dout[i];
  }
}

void gelu_forward(float* out, const float* inp, int64_t N) {
  const bool simd = active_isa() >= Isa::Avx2;
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    if (simd)
      gelu_forward_avx2(out + i0, inp + i0, i1 - i0);
    else
      gelu_forward_ref(out + i0, inp + i0, i1 - i0);
  }, 4096);
}

void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t N) {
  const bool simd = active_isa() >= Isa::Avx2;
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    if (simd)
      gelu_backward_avx2(dinp + i0, inp + i0, dout + i0, i1 - i0);
    else
      gelu_backward_ref(dinp + i0, inp + i0, dout + i0, i1 - i0);
  }, 4096);
}

}  // namespace tock
