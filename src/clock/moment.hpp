// The moment of a tick: what the model weighed and chose. Computed from the softmax of the raw
// logits the model returned (before penalties, filters or temperature) and, when sampling
// reshaped them, also from the sampler's final distribution.
//   p_i = exp(z_i - max z) / sum_j exp(z_j - max z)        H = -sum_i p_i ln p_i   (nats)
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tock::clock {

struct IdProb {
  int32_t id = 0;
  float p = 0.0f;
};

struct Alternative {
  int32_t id = 0;
  double p = 0;
  std::string text;
};

struct Moment {
  int32_t token = -1;
  std::string text;                 // the token's bytes
  double p = 0;                     // its probability under the model's softmax
  double logit = 0;
  double entropy = 0;               // of the model's softmax, in nats
  std::vector<Alternative> top;     // the k most likely tokens of the model's softmax, best first
  // The sampler's final distribution (after penalties, top-k/p, min-p, temperature); empty
  // when it was the greedy argmax.
  bool has_final = false;
  double final_p = 0, final_entropy = 0;
  std::vector<Alternative> final_top;
};

inline constexpr int kTopK = 8;

// Fills token, p, logit, entropy, top (ids and p, texts empty) from the model's logits, and the
// final_* fields from `final` when it holds more than one token. Throws tock::Error when the
// logits are empty or the token is outside them.
Moment compute_moment(std::span<const float> logits, int32_t token, std::span<const IdProb> final,
                      int k = kTopK);

}  // namespace tock::clock
