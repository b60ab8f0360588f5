#include "train/classify_head.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace tock {

Pooling parse_pooling(const std::string& name) {
  if (name == "mean") return Pooling::mean;
  if (name == "last") return Pooling::last;
  fail("classify: pooling '", name, "' is not 'mean' or 'last'");
}

const char* pooling_name(Pooling p) { return p == Pooling::mean ? "mean" : "last"; }

namespace {
void check_length(int32_t n, int64_t b, int64_t T) {
  if (n < 1 || n > T) fail("classify pooling: length ", n, " of sequence ", b, " outside 1..", T);
}
}  // namespace

void classify_pool_forward(float* pooled, const float* hidden, const int32_t* lengths,
                           int64_t B, int64_t T, int64_t C, Pooling pooling) {
  for (int64_t b = 0; b < B; ++b) {
    const int32_t n = lengths[b];
    check_length(n, b, T);
    float* out = pooled + b * C;
    const float* h = hidden + b * T * C;
    if (pooling == Pooling::last) {
      std::memcpy(out, h + int64_t(n - 1) * C, size_t(C) * sizeof(float));
      continue;
    }
    std::fill(out, out + C, 0.0f);
    for (int32_t t = 0; t < n; ++t)
      for (int64_t c = 0; c < C; ++c) out[c] += h[t * C + c];
    const float inv = 1.0f / float(n);
    for (int64_t c = 0; c < C; ++c) out[c] *= inv;
  }
}

void classify_pool_backward(float* dhidden, const float* dpooled, const int32_t* lengths,
                            int64_t B, int64_t T, int64_t C, Pooling pooling) {
  std::fill(dhidden, dhidden + B * T * C, 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int32_t n = lengths[b];
    check_length(n, b, T);
    const float* g = dpooled + b * C;
    float* d = dhidden + b * T * C;
    if (pooling == Pooling::last) {
      std::memcpy(d + int64_t(n - 1) * C, g, size_t(C) * sizeof(float));
      continue;
    }
    const float inv = 1.0f / float(n);
    for (int32_t t = 0; t < n; ++t)
      for (int64_t c = 0; c < C; ++c) d[t * C + c] = g[c] * inv;
  }
}

float classify_head_forward(float* probs, const float* pooled, const float* w, const float* bias,
                            const int32_t* labels, int64_t B, int64_t C, int64_t K) {
  double loss = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    float* p = probs + b * K;
    const float* x = pooled + b * C;
    for (int64_t k = 0; k < K; ++k) {
      double s = bias[k];
      for (int64_t c = 0; c < C; ++c) s += double(w[k * C + c]) * x[c];
      p[k] = float(s);
    }
    const float mx = *std::max_element(p, p + K);
    double sum = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      p[k] = std::exp(p[k] - mx);
      sum += p[k];
    }
    for (int64_t k = 0; k < K; ++k) p[k] = float(p[k] / sum);
    if (labels) {
      if (labels[b] < 0 || labels[b] >= K)
        fail("classify: label ", labels[b], " of example ", b, " outside 0..", K - 1);
      loss -= std::log(std::max(double(p[labels[b]]), 1e-30));
    }
  }
  return labels ? float(loss / double(B)) : 0.0f;
}

void classify_head_backward(float* dw, float* dbias, float* dpooled, const float* probs,
                            const float* pooled, const float* w, const int32_t* labels,
                            int64_t B, int64_t C, int64_t K) {
  const float inv_b = 1.0f / float(B);
  for (int64_t b = 0; b < B; ++b) {
    const float* p = probs + b * K;
    const float* x = pooled + b * C;
    float* dx = dpooled ? dpooled + b * C : nullptr;
    if (dx) std::fill(dx, dx + C, 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      // d loss / d logit_k = (p_k - [k == label]) / B for the mean over the batch.
      const float g = (p[k] - (k == labels[b] ? 1.0f : 0.0f)) * inv_b;
      dbias[k] += g;
      for (int64_t c = 0; c < C; ++c) dw[k * C + c] += g * x[c];
      if (dx)
        for (int64_t c = 0; c < C; ++c) dx[c] += g * w[k * C + c];
    }
  }
}

}  // namespace tock
