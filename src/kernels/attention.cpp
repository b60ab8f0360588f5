#include "kernels/attention.hpp"

#include <cstring>

#include "kernels/softmax.hpp"

namespace tock {

void attention_one(const float* q, const float* K, const float* V, int64_t n_kv, int64_t NH,
                   int64_t NKV, int64_t HS, float scale, float* out, float* scratch,
                   float* probs_out) {
  const int64_t group = NH / NKV;
  const int64_t row = NKV * HS;
  for (int64_t h = 0; h < NH; ++h) {
    const float* qh = q + h * HS;
    const int64_t kvh = h / group;
    for (int64_t j = 0; j < n_kv; ++j) {
      const float* kj = K + j * row + kvh * HS;
      float dot = 0;
      for (int64_t d = 0; d < HS; ++d) dot += qh[d] * kj[d];
      scratch[j] = dot * scale;
    }
    softmax_inplace(scratch, n_kv);
    if (probs_out) std::memcpy(probs_out + h * n_kv, scratch, size_t(n_kv) * sizeof(float));
    float* oh = out + h * HS;
    std::memset(oh, 0, size_t(HS) * sizeof(float));
    for (int64_t j = 0; j < n_kv; ++j) {
      const float* vj = V + j * row + kvh * HS;
      const float p = scratch[j];
      for (int64_t d = 0; d < HS; ++d) oh[d] += p * vj[d];
    }
  }
}

}  // namespace tock
