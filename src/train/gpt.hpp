// The GPT-2-style model of gpt_config.hpp, for training: parameters, gradients and activations
// each in one block (sizes in the tables below), a forward pass to the mean cross-entropy loss
// and a backward pass to every parameter's gradient (llm.c's train_gpt2.c, in Tock's kernels).
// Memory is allocated when the batch shape (B, T) is first seen; the passes allocate nothing.
// Not here: the optimizer (adamw.hpp), data (data_loader.hpp), Llama-style blocks.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "train/adamw.hpp"
#include "train/gpt_config.hpp"

namespace tock {

// Activations kept from the forward for the backward. Per layer l (each (L, ...)):
//   ln1 (B,T,C)  ln1_mean, ln1_rstd (B,T)  qkv (B,T,3C)  atty (B,T,C)  att (B,NH,T,T)
//   attproj (B,T,C)  residual2 (B,T,C)  ln2 (B,T,C)  ln2_mean, ln2_rstd (B,T)
//   fch (B,T,4C)  fch_gelu (B,T,4C)  fcproj (B,T,C)  residual3 (B,T,C)
// and once: encoded (B,T,C), lnf (B,T,C), lnf_mean, lnf_rstd (B,T), logits (B,T,V),
// probs (B,T,V), losses (B,T).
struct GptActs {
  float *encoded, *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *attproj, *residual2, *ln2,
      *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *fcproj, *residual3, *lnf, *lnf_mean, *lnf_rstd,
      *logits, *probs, *losses;
};

// Gradients of activations during the backward, reused from layer to layer:
//   dresidual (B,T,C) the gradient flowing down the residual stream; dln (B,T,C) of a norm's
//   output; datty (B,T,C); dqkv (B,T,3C); dfch, dfch_gelu (B,T,4C); dlogits (B,T,V);
//   dlosses (B,T); attn_scratch (B,NH,T).
struct GptGradActs {
  float *dresidual, *dln, *datty, *dqkv, *dfch, *dfch_gelu, *dlogits, *dlosses, *attn_scratch;
};

class GptModel {
 public:
  // Parameters initialised as nanoGPT: normal(0, 0.02) for the embeddings and linear weights,
  // normal(0, 0.02/√(2L)) for the two residual projections (attprojw, fcprojw), biases 0,
  // LayerNorm weights 1; from a portable generator, so a seed gives the same model everywhere.
  GptModel(const GptConfig& config, uint64_t seed);

  const GptConfig& config() const { return config_; }
  int64_t num_params() const { return int64_t(params_memory_.size()); }
  float* params() { return params_memory_.data(); }  // the whole block (layout: gpt_config.hpp)
  float* grads() { return grads_memory_.data(); }
  const GptParams& param_views() const { return params_; }
  const GptParams& grad_views() const { return grads_; }
  const std::array<int64_t, kGptParamTensors>& param_sizes() const { return sizes_; }
  // The 16 tensors as AdamW segments (decay on the matrices: gpt_param_decays).
  std::array<ParamSegment, kGptParamTensors> param_segments();

  // inputs, targets: (B, T) token ids below V; T <= maxT. Returns the mean loss over B·T.
  float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T);
  void zero_grad();
  // Adds d(mean loss)/d(parameter) to grads(). Needs the forward just before it.
  void backward();

  const GptActs& acts() const { return acts_; }

 private:
  void allocate(int64_t B, int64_t T);

  GptConfig config_;
  std::array<int64_t, kGptParamTensors> sizes_{};
  std::vector<float> params_memory_, grads_memory_;
  GptParams params_, grads_;

  int64_t B_ = 0, T_ = 0;  // the batch shape the activations are sized for
  std::vector<float> acts_memory_, grad_acts_memory_;
  GptActs acts_{};
  GptGradActs grad_acts_{};
  std::vector<int32_t> inputs_, targets_;
  bool have_forward_ = false;
};

}  // namespace tock
