#include "runtime/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace tock {

namespace {

void check(bool ok, const char* name, float value, const char* rule) {
  if (!ok) fail("sampler: ", name, " = ", value, " is invalid (", rule, ")");
}

uint64_t resolve_seed(uint64_t seed) {
  if (seed != SamplerParams::kRandomSeed) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Sampler::Sampler(SamplerParams params)
    : params_(params), seed_(resolve_seed(params.seed)), rng_(seed_) {
  const SamplerParams& p = params_;
  check(std::isfinite(p.temperature), "temperature", p.temperature, "must be finite; <= 0 is greedy");
  check(std::isfinite(p.top_p) && p.top_p >= 0.0f, "top_p", p.top_p, "must be in [0, 1]; 1 is off");
  check(std::isfinite(p.min_p) && p.min_p <= 1.0f, "min_p", p.min_p, "must be in [0, 1]; 0 is off");
  check(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0.0f, "repeat_penalty",
        p.repeat_penalty, "must be > 0; 1 is off");
  check(std::isfinite(p.frequency_penalty), "frequency_penalty", p.frequency_penalty, "must be finite");
  check(std::isfinite(p.presence_penalty), "presence_penalty", p.presence_penalty, "must be finite");
  for (const auto& [token, bias] : p.logit_bias) {
    check(std::isfinite(bias), "logit_bias", bias, "must be finite");
    if (token < 0) fail("sampler: logit_bias names token ", token, " (token ids are >= 0)");
  }
  if (p.repeat_last_n < -1)
    fail("sampler: repeat_last_n = ", p.repeat_last_n, " is invalid (0 is off, -1 is all history)");
}

std::span<const int32_t> Sampler::recent() const {
  std::span<const int32_t> h = history_;
  if (params_.repeat_last_n < 0) return h;
  const size_t n = std::min(h.size(), static_cast<size_t>(params_.repeat_last_n));
  return h.subspan(h.size() - n);
}

std::span<const TokenProb> Sampler::distribution(std::span<const float> logits) {
  if (logits.empty()) fail("sampler: empty logits (vocabulary size 0)");
  logits_.assign(logits.begin(), logits.end());
  for (const auto& [token, bias] : params_.logit_bias)
    if (size_t(token) < logits_.size()) logits_[size_t(token)] += bias;
  apply_penalties(logits_, recent(), params_.repeat_penalty, params_.frequency_penalty,
                  params_.presence_penalty);
  if (params_.temperature <= 0.0f) {
    const int32_t best = argmax(logits_);
    candidates_.assign(1, TokenProb{best, logits_[static_cast<size_t>(best)], 1.0f});
    return candidates_;
  }
  top_k_candidates(logits_, params_.top_k, candidates_);
  keep_top_p(candidates_, params_.top_p);
  keep_min_p(candidates_, params_.min_p);
  apply_temperature(candidates_, params_.temperature);
  softmax(candidates_);
  return candidates_;
}

int32_t Sampler::sample(std::span<const float> logits) {
  distribution(logits);
  if (params_.temperature <= 0.0f) return candidates_.front().id;  // greedy uses no randomness
  return draw(candidates_, uniform());
}

void Sampler::accept(int32_t token) {
  history_.push_back(token);
  // Bounded history: keep at most 2N, trimming N at a time so accept() stays amortised O(1).
  const int n = params_.repeat_last_n;
  if (n >= 0 && history_.size() > 2 * static_cast<size_t>(n) + 64)
    history_.erase(history_.begin(), history_.end() - n);
}

void Sampler::reset() {
  history_.clear();
  candidates_.clear();
  rng_.seed(seed_);
}

double Sampler::uniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

}  // namespace tock
