#include "train/adamw.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace tock {

AdamW::AdamW(const AdamWConfig& config, int64_t num_params) : config_(config) {
  if (num_params < 0) fail("adamw: negative parameter count ", num_params);
  if (!(config.beta1 >= 0.0f && config.beta1 < 1.0f && config.beta2 >= 0.0f &&
        config.beta2 < 1.0f))
    fail("adamw: betas must lie in [0, 1), got ", config.beta1, ", ", config.beta2);
  if (!(config.eps > 0.0f)) fail("adamw: eps must be positive, got ", config.eps);
  m_.assign(size_t(num_params), 0.0f);
  v_.assign(size_t(num_params), 0.0f);
}

void AdamW::step(std::span<const ParamSegment> segments, float lr) {
  int64_t total = 0;
  for (const ParamSegment& s : segments) total += s.n;
  if (total != int64_t(m_.size()))
    fail("adamw: segments cover ", total, " values, the optimizer holds ", m_.size());
  ++t_;
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.eps;
  const float step_size = lr / float(1.0 - std::pow(double(b1), double(t_)));
  const float bc2_sqrt = float(std::sqrt(1.0 - std::pow(double(b2), double(t_))));
  int64_t offset = 0;
  for (const ParamSegment& s : segments) {
    const float decay = s.decay ? 1.0f - lr * config_.weight_decay : 1.0f;
    float* m = m_.data() + offset;
    float* v = v_.data() + offset;
    parallel_for(s.n, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const float g = s.grad[i];
        float p = s.param[i] * decay;
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        p -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
        s.param[i] = p;
      }
    }, 4096);
    offset += s.n;
  }
}

float clip_grad_norm(float* grad, int64_t n, float max_norm) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(grad[i]) * double(grad[i]);
  const float norm = float(std::sqrt(sum));
  const float coef = max_norm / (norm + 1e-6f);
  if (coef < 1.0f)
    for (int64_t i = 0; i < n; ++i) grad[i] *= coef;
  return norm;
}

}  // namespace tock
