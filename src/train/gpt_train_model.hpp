// GptModel (gpt.hpp) seen through the TrainModel interface the training loop uses, plus the
// sizes the loop checks against memory before it builds a model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/gpt.hpp"
#include "train/train_model.hpp"

namespace tock {

// Floats GptModel allocates for activations and their gradients at batch shape (B, T)
// (the tables in gpt.hpp: GptActs and GptGradActs).
int64_t gpt_activation_floats(const GptConfig& c, int64_t B, int64_t T);
int64_t gpt_num_params(const GptConfig& c);

class GptTrainModel final : public TrainModel {
 public:
  GptTrainModel(const GptConfig& config, uint64_t seed) : model_(config, seed) {}

  std::string arch() const override { return "gpt2"; }
  int64_t vocab_size() const override { return model_.config().vocab_size; }
  int64_t max_seq_len() const override { return model_.config().max_seq_len; }
  int64_t num_params() const override { return model_.num_params(); }
  float* params() override { return model_.params(); }
  float* grads() override { return model_.grads(); }
  std::vector<ParamTensor> tensors() const override;

  // GptModel always computes a loss: without targets it scores against token 0 and the
  // result is not returned (0).
  float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) override;
  const float* logits() const override { return model_.acts().logits; }
  void zero_grad() override { model_.zero_grad(); }
  void backward() override { model_.backward(); }

  // 6 FLOPs per parameter and token (2 forward, 4 backward; PaLM appendix B) plus attention's
  // scores and weighted sum: 12·L·C·T per token (nanoGPT's estimate_mfu).
  double flops_per_token(int64_t T) const override;
  int64_t activation_bytes(int64_t B, int64_t T) const override {
    return gpt_activation_floats(model_.config(), B, T) * int64_t(sizeof(float));
  }

  GptModel& gpt() { return model_; }
  const GptModel& gpt() const { return model_; }

 private:
  GptModel model_;
  std::vector<int32_t> zero_targets_;
};

}  // namespace tock
