#include "kernels/swiglu_backward.hpp"

#include <cmath>

#include "core/thread_pool.hpp"
#include "kernels/activation.hpp"

namespace tock {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    swiglu(gate + i0, up + i0, out + i0, i1 - i0);
  }, 4096);
}

void swiglu_backward_ref(float* dgate, float* dup, const float* dout, const float* gate,
                         const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    const float silu = g * sig;
    dgate[i] += dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    dup[i] += dout[i] * silu;
  }
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    swiglu_backward_ref(dgate + i0, dup + i0, dout + i0, gate + i0, up + i0, i1 - i0);
  }, 4096);
}

}  // namespace tock
