#include "clock/moment.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace tock::clock {
namespace {

// The largest logit (a plain loop: the value stays in a register).
float max_of(std::span<const float> z) {
  float m = -INFINITY;
  for (float x : z) m = x > m ? x : m;
  return m;
}

// The k largest logits (ties to the lower id), best first: one pass with a small sorted list, no
// allocation proportional to V (the softmax is monotonic, so top logits are top probabilities).
std::vector<int32_t> top_ids(std::span<const float> z, int k) {
  const size_t n = std::min(z.size(), size_t(std::max(k, 0)));
  std::vector<int32_t> best;  // sorted, best first
  best.reserve(n + 1);
  for (size_t i = 0; i < z.size(); ++i) {
    if (best.size() == n && (n == 0 || z[i] <= z[size_t(best.back())])) continue;
    size_t at = best.size();
    while (at > 0 && z[i] > z[size_t(best[at - 1])]) --at;  // strict: earlier ids win ties
    best.insert(best.begin() + std::ptrdiff_t(at), int32_t(i));
    if (best.size() > n) best.pop_back();
  }
  return best;
}

}  // namespace

Moment compute_moment(std::span<const float> logits, int32_t token, std::span<const IdProb> final,
                      int k) {
  if (logits.empty()) fail("clock: moment of empty logits");
  if (token < 0 || size_t(token) >= logits.size())
    fail("clock: token ", token, " outside the logits [0, ", logits.size(), ")");
  Moment m;
  m.token = token;
  m.logit = logits[size_t(token)];
  // One exp per logit: with u_i = z_i - max and S = sum_i e^{u_i},
  //   p_i = e^{u_i} / S,   H = -sum_i p_i (u_i - ln S) = ln S - (sum_i e^{u_i} u_i) / S.
  const float mx = max_of(logits);
  const size_t V = logits.size();
  double S = 0, Su = 0;
  for (size_t i = 0; i < V; ++i) {
    const float u = logits[i] - mx;
    const float e = std::exp(u);  // float exp: ~2x faster than double, ~1e-7 relative error
    S += double(e);
    Su += double(e) * double(u);
  }
  const double log_S = std::log(S);
  auto prob = [&logits, mx, log_S](int32_t id) { return std::exp(double(logits[size_t(id)] - mx) - log_S); };
  m.p = prob(token);
  m.entropy = std::max(0.0, log_S - Su / S);
  for (int32_t id : top_ids(logits, k)) m.top.push_back({id, prob(id), {}});

  if (final.size() > 1) {
    m.has_final = true;
    double Hf = 0;
    for (const IdProb& c : final) {
      if (c.p > 0) Hf -= double(c.p) * std::log(double(c.p));
      if (c.id == token) m.final_p = c.p;
    }
    m.final_entropy = Hf;
    std::vector<IdProb> sorted(final.begin(), final.end());
    const size_t n = std::min(sorted.size(), size_t(k));
    std::partial_sort(sorted.begin(), sorted.begin() + std::ptrdiff_t(n), sorted.end(),
                      [](const IdProb& a, const IdProb& b) { return a.p != b.p ? a.p > b.p : a.id < b.id; });
    for (size_t i = 0; i < n; ++i) m.final_top.push_back({sorted[i].id, double(sorted[i].p), {}});
  }
  return m;
}

}  // namespace tock::clock
