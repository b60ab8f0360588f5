#include "train/trainer_sample.hpp"

#include <algorithm>
#include <cmath>

namespace tock {

int32_t pick_token(const float* logits, int64_t V, float temp, double u) {
  const int64_t best = std::max_element(logits, logits + V) - logits;
  if (temp <= 0.0f) return int32_t(best);
  std::vector<double> p(static_cast<size_t>(V));
  double sum = 0.0;
  for (int64_t i = 0; i < V; ++i) sum += p[size_t(i)] = std::exp(double(logits[i] - logits[best]) / double(temp));
  double acc = 0.0;
  const double target = u * sum;
  for (int64_t i = 0; i < V; ++i) {
    acc += p[size_t(i)];
    if (target < acc) return int32_t(i);
  }
  return int32_t(best);  // u·sum rounded to the very top
}

std::vector<int32_t> sample_tokens(TrainModel& model, int32_t start, int64_t n, float temp, SplitMix64& rng) {
  const int64_t V = model.vocab_size(), maxT = model.max_seq_len();
  std::vector<int32_t> ids{start};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t T = std::min<int64_t>(int64_t(ids.size()), maxT);
    model.forward(ids.data() + ids.size() - size_t(T), nullptr, 1, T);
    const double u = double(rng.next() >> 11) * 0x1.0p-53;
    ids.push_back(pick_token(model.logits() + (T - 1) * V, V, temp, u));
  }
  return {ids.begin() + 1, ids.end()};
}

}  // namespace tock
