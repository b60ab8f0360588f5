// The Llama-style model of llama_train_config.hpp, for training: parameters, gradients and
// activations each in one block, a forward pass to the mean cross-entropy loss and a backward
// pass to every parameter's gradient, op by op as gpt.hpp does for GPT-2. The math is the same
// as inference's (src/model) for arch `llama`, so a model trained here and exported with
// llama_export.hpp runs in `tock run` with the same logits; from_gguf() starts fine-tuning
// from a pretrained GGUF. Memory is allocated when the batch shape (B, T) is first seen.
// Not here: the optimizer (adamw.hpp), data (data_loader.hpp), GPT-2 blocks (gpt.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/llama_train_config.hpp"
#include "train/train_model.hpp"

namespace tock {

// Activations kept from the forward for the backward. Per layer l (each (L, ...)):
//   h1 (B,T,C) attn_norm out  rstd1 (B,T)  q (B,T,C) k, v (B,T,KV) (q, k after RoPE)
//   att (B,NH,T,T)  atty (B,T,C)  x2 (B,T,C) residual after attention  h2 (B,T,C) ffn_norm out
//   rstd2 (B,T)  gate, up, act (B,T,F) (act = silu(gate)·up)
// and x ((L+1),B,T,C) the residual stream (x[0] the embeddings, x[l+1] block l's output),
// hf (B,T,C), rstdf (B,T), logits (B,T,V), probs (B,T,V), losses (B,T).
struct LlamaActs {
  float *x, *h1, *rstd1, *q, *k, *v, *att, *atty, *x2, *h2, *rstd2, *gate, *up, *act, *hf,
      *rstdf, *logits, *probs, *losses;
};

// Gradients of activations during the backward, reused from layer to layer: dx (B,T,C) down
// the residual stream, dh (B,T,C) of a norm's output, datty, dq (B,T,C), dk, dv (B,T,KV),
// dact, dgate, dup (B,T,F), dlogits (B,T,V), dlosses (B,T), scratch (B,NKV,T).
struct LlamaGradActs {
  float *dx, *dh, *datty, *dq, *dk, *dv, *dact, *dgate, *dup, *dlogits, *dlosses, *scratch;
};

// Bytes a model of this config allocates for activations at (B, T): what activation_bytes()
// returns, without building the model (whose parameters may be large) first.
int64_t llama_activation_bytes(const LlamaTrainConfig& config, int64_t B, int64_t T);

// An optional adapter on the q and v projections (LoRA, lora_adapters.hpp): forward_qv adds
// its output to q (before RoPE) and v of layer l given h1 = attn_norm's output (N, C);
// backward_qv takes the gradients of those q and v and adds h1's gradient to dh (N, C).
class LlamaQvAdapter {
 public:
  virtual ~LlamaQvAdapter() = default;
  virtual void forward_qv(int64_t l, const float* h1, float* q, float* v, int64_t N) = 0;
  virtual void backward_qv(int64_t l, const float* h1, const float* dq, const float* dv,
                           float* dh, int64_t N) = 0;
};

class LlamaTrainModel : public TrainModel {
 public:
  // Parameters initialised as nanoGPT: normal(0, 0.02) for the embedding and linear weights,
  // normal(0, 0.02/√(2L)) for the residual projections (wo, w_down), norm weights 1; drawn
  // tensor by tensor in block order from SplitMix64(seed) (random.hpp), the same everywhere.
  LlamaTrainModel(const LlamaTrainConfig& config, uint64_t seed);

  // A pretrained llama-arch GGUF (any weight type dequantize() reads) as f32 parameters: the
  // start of fine-tuning. Errors name the file and the tensor or key that does not fit.
  static std::unique_ptr<LlamaTrainModel> from_gguf(const std::string& path);

  const LlamaTrainConfig& config() const { return config_; }
  const LlamaParams& param_views() const { return params_; }
  const LlamaParams& grad_views() const { return grads_; }
  const LlamaActs& acts() const { return acts_; }

  std::string arch() const override { return "llama"; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  int64_t max_seq_len() const override { return config_.max_seq_len; }
  int64_t num_params() const override { return int64_t(params_memory_.size()); }
  float* params() override { return params_memory_.data(); }
  float* grads() override { return grads_memory_.data(); }
  std::vector<ParamTensor> tensors() const override;

  float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) override;
  const float* logits() const override { return acts_.logits; }
  // The forward up to the final normed hidden states acts().hf (B, T, C), without the
  // vocabulary projection (a classifier's features; backward_from_hidden() differentiates it).
  void forward_hidden(const int32_t* inputs, int64_t B, int64_t T) {
    forward_trunk(inputs, nullptr, B, T);
  }
  void zero_grad() override;
  void backward() override;
  // The backward from a gradient dhf (B, T, C) on the final normed hidden states acts().hf of
  // the last forward (a classification head's, say) instead of from the LM loss; adds to grads().
  void backward_from_hidden(const float* dhf);
  // Applies `adapter` (not owned; null for none) in every later forward and backward; while
  // set, the backward skips the gradients of the embedding and the layers' matrices (frozen).
  void set_adapter(LlamaQvAdapter* adapter) { adapter_ = adapter; }

  double flops_per_token(int64_t T) const override;
  int64_t activation_bytes(int64_t B, int64_t T) const override;

 private:
  explicit LlamaTrainModel(const LlamaTrainConfig& config);  // parameters all zero
  void allocate(int64_t B, int64_t T);
  void backward_trunk();  // from grad_acts_.dh = d(hf) down to the embeddings
  // targets only validated here (forward() computes the loss from them).
  void forward_trunk(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T);

  LlamaTrainConfig config_;
  std::vector<ParamTensor> tensors_;
  std::vector<float> params_memory_, grads_memory_;
  LlamaParams params_, grads_;

  int64_t B_ = 0, T_ = 0;  // the batch shape the activations are sized for
  std::vector<float> acts_memory_, grad_acts_memory_;
  LlamaActs acts_{};
  LlamaGradActs grad_acts_{};
  std::vector<int32_t> inputs_, targets_;
  bool have_targets_ = false;  // the last forward computed the loss
  LlamaQvAdapter* adapter_ = nullptr;
};

}  // namespace tock
