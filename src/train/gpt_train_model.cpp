#include "train/gpt_train_model.hpp"

namespace tock {

int64_t gpt_num_params(const GptConfig& c) {
  int64_t n = 0;
  for (int64_t s : gpt_param_sizes(c)) n += s;
  return n;
}

int64_t gpt_activation_floats(const GptConfig& c, int64_t B, int64_t T) {
  const int64_t C = c.channels, L = c.n_layer, NH = c.n_head, V = c.vocab_size, BT = B * T;
  // GptActs: encoded, lnf (C); per layer ln1, atty, attproj, residual2, ln2, fcproj,
  // residual3 (7C), qkv (3C), fch, fch_gelu (8C), four norm statistics; att (NH·T per token);
  // lnf statistics and losses (3); logits and probs (2V).
  const int64_t acts = 2 * BT * C + L * BT * (18 * C + 4) + L * B * NH * T * T + 3 * BT + 2 * BT * V;
  // GptGradActs: dresidual, dln, datty (3C), dqkv (3C), dfch, dfch_gelu (8C), dlogits (V),
  // dlosses (1), attn_scratch (NH per row).
  const int64_t grad_acts = BT * (14 * C + V + 1) + B * NH * T;
  return acts + grad_acts;
}

std::vector<ParamTensor> GptTrainModel::tensors() const {
  const GptConfig& c = model_.config();
  const int64_t V = c.vocab_size, C = c.channels, L = c.n_layer, maxT = c.max_seq_len;
  const std::vector<int64_t> shapes[kGptParamTensors] = {
      {V, C}, {maxT, C}, {L, C}, {L, C}, {L, 3 * C, C}, {L, 3 * C}, {L, C, C}, {L, C},
      {L, C}, {L, C}, {L, 4 * C, C}, {L, 4 * C}, {L, C, 4 * C}, {L, C}, {C}, {C}};
  const auto sizes = model_.param_sizes();
  std::vector<ParamTensor> out;
  int64_t offset = 0;
  for (int i = 0; i < kGptParamTensors; ++i) {
    out.push_back({kGptParamNames[size_t(i)], shapes[i], offset, sizes[size_t(i)], gpt_param_decays(i)});
    offset += sizes[size_t(i)];
  }
  return out;
}

float GptTrainModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) {
  if (targets) return model_.forward(inputs, targets, B, T);
  if (int64_t(zero_targets_.size()) < B * T) zero_targets_.assign(size_t(B * T), 0);
  model_.forward(inputs, zero_targets_.data(), B, T);
  return 0.0f;
}

double GptTrainModel::flops_per_token(int64_t T) const {
  const GptConfig& c = model_.config();
  return 6.0 * double(model_.num_params()) + 12.0 * double(c.n_layer * c.channels * T);
}

}  // namespace tock
