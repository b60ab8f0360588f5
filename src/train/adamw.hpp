// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization") and gradient
// clipping by global norm, as PyTorch's torch.optim.AdamW and clip_grad_norm_ compute them.
// The optimizer's state (m, v, step count) is one block each, in the parameter block's order.
// Not here: learning-rate schedules, gradient accumulation (the training loop's job).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace tock {

struct AdamWConfig {
  float beta1 = 0.9f;
  float beta2 = 0.95f;  // nanoGPT's and llm.c's choice for GPT-2
  float eps = 1e-8f;
  float weight_decay = 0.1f;  // applied only to segments marked decay
};

// A stretch of the parameter block with its gradient; decay says whether weight decay applies.
struct ParamSegment {
  float* param;
  const float* grad;
  int64_t n;
  bool decay;
};

class AdamW {
 public:
  AdamW(const AdamWConfig& config, int64_t num_params);

  // One step at learning rate lr over the segments, which together cover num_params values
  // in the order of m and v. Per value, with t the step count after this call:
  //   p -= lr·wd·p (decay segments only);  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
  //   p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps).
  void step(std::span<const ParamSegment> segments, float lr);

  int64_t steps() const { return t_; }
  const AdamWConfig& config() const { return config_; }
  std::vector<float>& m() { return m_; }  // first moments (for checkpoints)
  std::vector<float>& v() { return v_; }  // second moments
  void set_steps(int64_t t) { t_ = t; }

 private:
  AdamWConfig config_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

// Scales grad (n) so its L2 norm is at most max_norm (PyTorch: coefficient
// max_norm / (norm + 1e-6), applied only when below 1). Returns the norm before clipping.
float clip_grad_norm(float* grad, int64_t n, float max_norm);

}  // namespace tock
