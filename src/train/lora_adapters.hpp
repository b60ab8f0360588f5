// LoRA adapters (Hu et al. 2021) on the attention q and v projections of every layer of a
// LlamaTrainModel: q += s·(h1·Aqᵀ)·Bqᵀ, v += s·(h1·Avᵀ)·Bvᵀ, s = alpha / rank, hooked in through
// LlamaTrainModel::set_adapter. The adapters keep their own parameters and gradients, so an
// optimizer over segments() trains them while the model's weights stay untouched; merge_into()
// folds them into wq and wv (W' = W + s·B·A, lora_linear.hpp). A is uniform(±1/√C) from the
// seed, B zero, so a fresh adapter leaves the model's outputs unchanged.
#pragma once
#include <cstdint>
#include <vector>

#include "train/adamw.hpp"
#include "train/llama_train.hpp"

namespace tock {

class LlamaLora : public LlamaQvAdapter {
 public:
  // Per layer, in this order: q_a (r, C), q_b (C, r), v_a (r, C), v_b (KV, r).
  enum Part { kQA, kQB, kVA, kVB, kParts };

  LlamaLora(const LlamaTrainConfig& config, int64_t rank, float alpha, uint64_t seed);

  int64_t rank() const { return rank_; }
  float alpha() const { return alpha_; }
  float scale() const { return alpha_ / float(rank_); }
  int64_t n_layer() const { return L_; }
  // Shape (rows, cols) of a part, and its values / gradient in layer l.
  std::vector<int64_t> shape(Part part) const;
  float* param(int64_t l, Part part) { return params_.data() + offset(l, part); }
  const float* param(int64_t l, Part part) const { return params_.data() + offset(l, part); }
  float* grad(int64_t l, Part part) { return grads_.data() + offset(l, part); }
  int64_t num_params() const { return int64_t(params_.size()); }
  void zero_grad();
  // One segment per A (decay) and B (decay) tensor, covering num_params() in order.
  std::vector<ParamSegment> segments();

  // wq and wv of `model` (of the config given above) become W + s·B·A.
  void merge_into(LlamaTrainModel& model) const;

  void forward_qv(int64_t l, const float* h1, float* q, float* v, int64_t N) override;
  void backward_qv(int64_t l, const float* h1, const float* dq, const float* dv, float* dh,
                   int64_t N) override;

 private:
  int64_t offset(int64_t l, Part part) const;

  int64_t L_, C_, KV_, rank_;
  float alpha_;
  std::vector<float> params_, grads_;
  // Activations of the last forward: h1·Aᵀ per layer for q then v ((L, 2, N, r)), and scratch.
  int64_t N_ = 0;
  std::vector<float> xa_, tmp_, dxa_;
};

}  // namespace tock
