#include "kernels/cross_entropy.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

void crossentropy_forward(float* losses, float* probs, const float* logits, const int32_t* targets,
                          int64_t N, int64_t V) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* z = logits + n * V;
      float* p = probs + n * V;
      float maxv = z[0];
      for (int64_t v = 1; v < V; ++v) maxv = z[v] > maxv ? z[v] : maxv;
      float sum = 0.0f;
      for (int64_t v = 0; v < V; ++v) {
        p[v] = std::exp(z[v] - maxv);
        sum += p[v];
      }
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
