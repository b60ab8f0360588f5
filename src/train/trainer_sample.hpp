// Text samples during training: n tokens after `start`, each from the model's next-token
// distribution at temperature temp (0 = greedy), drawn with the trainer's RNG so a seed gives
// the same sample. The context is the last max_seq_len() tokens.
#pragma once
#include <cstdint>
#include <vector>

#include "train/random.hpp"
#include "train/train_model.hpp"

namespace tock {

std::vector<int32_t> sample_tokens(TrainModel& model, int32_t start, int64_t n, float temp, SplitMix64& rng);

// Index drawn from softmax(logits / temp) with the uniform u in [0, 1); temp <= 0: argmax.
int32_t pick_token(const float* logits, int64_t V, float temp, double u);

}  // namespace tock
