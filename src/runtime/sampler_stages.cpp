#include "runtime/sampler_stages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/error.hpp"

namespace tock {

void make_candidates(std::span<const float> logits, Candidates& out) {
  out.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
}

void top_k_candidates(std::span<const float> logits, int k, Candidates& out) {
  if (k <= 0 || static_cast<size_t>(k) >= logits.size()) return make_candidates(logits, out);
  out.clear();
  out.reserve(static_cast<size_t>(k));
  // A heap ordered by ranks_before keeps the worst-ranked kept token at its front. Ids come in
  // ascending order, so a later token with the front's logit ranks after it: only a strictly
  // higher logit displaces it (the same set as the full ranking).
  for (size_t i = 0; i < logits.size(); ++i) {
    const float v = logits[i];
    if (std::isnan(v)) fail("sampler: logits contain NaN (token ", i, ")");
    if (out.size() < static_cast<size_t>(k)) {
      out.push_back({static_cast<int32_t>(i), v, 0.0f});
      std::push_heap(out.begin(), out.end(), ranks_before);
    } else if (v > out.front().logit) {
      std::pop_heap(out.begin(), out.end(), ranks_before);
      out.back() = {static_cast<int32_t>(i), v, 0.0f};
      std::push_heap(out.begin(), out.end(), ranks_before);
    }
  }
  std::sort_heap(out.begin(), out.end(), ranks_before);  // best first
}

void apply_penalties(std::span<float> logits, std::span<const int32_t> recent, float repeat,
                     float frequency, float presence) {
  if (repeat == 1.0f && frequency == 0.0f && presence == 0.0f) return;
  std::unordered_map<int32_t, int> count;
  for (int32_t t : recent)
    if (t >= 0 && static_cast<size_t>(t) < logits.size()) ++count[t];
  for (const auto& [t, n] : count) {
    float& l = logits[static_cast<size_t>(t)];
    l = l > 0.0f ? l / repeat : l * repeat;
    l -= static_cast<float>(n) * frequency + (n > 0 ? presence : 0.0f);
  }
}

void keep_top_k(Candidates& c, int k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.size()) return;
  auto kth = c.begin() + k;
  std::nth_element(c.begin(), kth - 1, c.end(), ranks_before);  // O(n): [0,k) are the top k
  c.resize(static_cast<size_t>(k));
  std::sort(c.begin(), c.end(), ranks_before);
}

void keep_top_p(Candidates& c, float p) {
  if (p >= 1.0f || c.size() <= 1) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const auto& t : c) max_logit = std::max(max_logit, t.logit);
  double total = 0.0;
  for (auto& t : c) {
    t.p = std::exp(t.logit - max_logit);  // unnormalised weight; travels with the token below
    total += t.p;
  }
  const double target = static_cast<double>(p) * total;
  // Rank a growing prefix until it holds the nucleus: usually a few dozen tokens, so a 150k
  // vocabulary costs O(n log k) instead of a full sort.
  size_t k = std::min<size_t>(c.size(), 64);
  for (size_t sorted = 0;;) {
    std::partial_sort(c.begin() + static_cast<ptrdiff_t>(sorted), c.begin() + static_cast<ptrdiff_t>(k),
                      c.end(), ranks_before);
    double cum = 0.0;
    for (size_t i = 0; i < k; ++i) {
      cum += c[i].p;
      if (cum >= target) {
        c.resize(i + 1);
        return;
      }
    }
    if (k == c.size()) return;  // rounding left the sum a hair under p: keep everything
    sorted = k;
    k = std::min(c.size(), k * 8);
  }
}

void keep_min_p(Candidates& c, float m) {
  if (m <= 0.0f || c.empty()) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const auto& t : c) max_logit = std::max(max_logit, t.logit);
  const float threshold = max_logit + std::log(m);  // p_i >= m * p_max  <=>  l_i >= l_max + ln m
  std::erase_if(c, [&](const TokenProb& t) { return t.logit < threshold && t.logit != max_logit; });
}

void apply_temperature(Candidates& c, float t) {
  for (auto& x : c) x.logit /= t;
}

void softmax(Candidates& c) {
  if (c.empty()) fail("sampler: no candidate tokens left to sample from");
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const auto& t : c) max_logit = std::max(max_logit, t.logit);
  if (max_logit == -std::numeric_limits<float>::infinity())
    fail("sampler: every candidate logit is -inf (", c.size(), " candidates); nothing can be drawn");
  if (std::isnan(max_logit)) fail("sampler: logits contain NaN");
  double total = 0.0;
  for (auto& t : c) {
    t.p = std::exp(t.logit - max_logit);
    total += t.p;
  }
  for (auto& t : c) t.p = static_cast<float>(t.p / total);
}

int32_t draw(const Candidates& c, double u) {
  if (c.empty()) fail("sampler: draw from an empty candidate list");
  double total = 0.0;
  for (const auto& t : c) total += t.p;
  const double target = u * total;
  double cum = 0.0;
  for (const auto& t : c) {
    cum += t.p;
    if (target < cum) return t.id;
  }
  // u * total rounded up to the total: the last token with any mass.
  for (auto it = c.rbegin(); it != c.rend(); ++it)
    if (it->p > 0.0f) return it->id;
  return c.back().id;
}

int32_t argmax(std::span<const float> logits) {
  if (logits.empty()) fail("sampler: empty logits");
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;  // strict: ties keep the lowest id
  return static_cast<int32_t>(best);
}

}  // namespace tock
