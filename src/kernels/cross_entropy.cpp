#include "kernels/cross_entropy.hpp"

#include <cmath>

#include "core/thread_pool.hpp"
#include "kernels/exp_rows.hpp"

namespace tock {

void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int64_t N, int64_t V) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* z = logits + n * V;
      float* p = probs + n * V;
      const float maxv = row_max(z, V);
      const float sum = exp_shift_sum(p, z, V, maxv);
      const float inv = 1.0f / sum;
      for (int64_t v = 0; v < V; ++v) p[v] *= inv;
      // -log softmax from the logits directly: exact even where probs underflows to 0.
      losses[n] = std::log(sum) + maxv - z[targets[n]];
    }
  }, 4);
}

void crossentropy_backward(float* dlogits, const float* dlosses, const float* probs,
                           const int32_t* targets, int64_t N, int64_t V) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* p = probs + n * V;
      float* dz = dlogits + n * V;
      const float d = dlosses[n];
      for (int64_t v = 0; v < V; ++v) dz[v] += p[v] * d;
      dz[targets[n]] -= d;
    }
  }, 4);
}

}  // namespace tock
