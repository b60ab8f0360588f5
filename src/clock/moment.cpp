#include "clock/moment.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors never cross this file's boundary

// The passes over the logits are compiled twice on x86-64: for AVX2/FMA machines and for the
// baseline, picked at load time (an ifunc); elsewhere once, for the target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TOCK_CLOCK_CLONES [[gnu::target_clones("arch=x86-64-v3", "default")]]
#else
#define TOCK_CLOCK_CLONES
#endif

namespace tock::clock {
namespace {

// The hot part of a moment is two passes over the V logits (V = 49,152 for SmolLM2), written
// with the compiler's vector types (GCC/Clang vector extensions: 8 floats, lowered to what the
// target has) so they vectorize without -ffast-math; the exponential is a polynomial the vector
// unit evaluates (std::exp is a scalar call, ~10 ns each).
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));
constexpr size_t kLanes = 8;
constexpr size_t kBlock = 64;  // top-k skips a block whose maximum cannot enter the list

[[gnu::always_inline]] inline f8 load8(const float* p) {
  f8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline f8 splat(float x) { return f8{} + x; }
[[gnu::always_inline]] inline f8 vmax(const f8& a, const f8& b) { return a > b ? a : b; }
[[gnu::always_inline]] inline float hmax(const f8& v) {
  float m = v[0];
  for (size_t j = 1; j < kLanes; ++j) m = v[j] > m ? v[j] : m;
  return m;
}

// e^u for u in [-87, 0] (Cephes expf: u = n ln2 + r, |r| <= ln2/2, e^r by a polynomial, 2^n
// from the exponent bits). Relative error ~2e-7.
[[gnu::always_inline]] inline f8 exp8(const f8& u) {
  const f8 n = (u * 1.44269504f + 12582912.0f) - 12582912.0f;  // round to nearest
  const f8 r = (u - n * 0.693359375f) + n * 2.12194440e-4f;    // u - n ln2, ln2 in two parts
  f8 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const f8 e = p * r * r + r + 1.0f;
  const i8 bits = (__builtin_convertvector(n, i8) + 127) << 23;
  f8 scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

// The largest logit.
[[gnu::always_inline]] inline float max_inline(std::span<const float> z) {
  const size_t V = z.size(), body = V - V % kLanes;
  f8 m = splat(-INFINITY);
  for (size_t i = 0; i < body; i += kLanes) m = vmax(load8(&z[i]), m);
  float mx = hmax(m);
  for (size_t i = body; i < V; ++i) mx = z[i] > mx ? z[i] : mx;
  return mx;
}
TOCK_CLOCK_CLONES float max_of(std::span<const float> z) { return max_inline(z); }

// S = sum_i e^{u_i} and Su = sum_i e^{u_i} u_i with u_i = max(z_i - mx, -87) (e^-87 ~ 1e-38:
// the clamp changes nothing a double can hold). Float lanes over blocks of 1024 logits, double
// across blocks, so the sum of 49,152 terms keeps ~1e-7 relative accuracy.
TOCK_CLOCK_CLONES void exp_sums(std::span<const float> z, float mx, double& S, double& Su) {
  S = Su = 0;
  const size_t V = z.size(), body = V - V % kLanes;
  constexpr size_t kSumBlock = 1024;
  const f8 lo = splat(-87.0f);
  for (size_t b = 0; b < body; b += kSumBlock) {
    const size_t b_end = std::min(body, b + kSumBlock);
    f8 s{}, su{};
    for (size_t i = b; i < b_end; i += kLanes) {
      const f8 u = vmax(load8(&z[i]) - mx, lo);
      const f8 e = exp8(u);
      s += e;
      su += e * u;
    }
    for (size_t j = 0; j < kLanes; ++j) { S += double(s[j]); Su += double(su[j]); }
  }
  for (size_t i = body; i < V; ++i) {
    f8 u = splat(std::max(z[i] - mx, -87.0f));
    const float e = exp8(u)[0];
    S += double(e);
    Su += double(e) * double(u[0]);
  }
}

// The k largest logits (ties to the lower id), best first: a small sorted list, and a block of
// kBlock logits is only looked at one by one when its maximum could enter the list.
TOCK_CLOCK_CLONES std::vector<int32_t> top_ids(std::span<const float> z, int k) {
  const size_t n = std::min(z.size(), size_t(std::max(k, 0)));
  std::vector<int32_t> best;  // sorted, best first
  best.reserve(n + 1);
  if (n == 0) return best;
  for (size_t b = 0; b < z.size(); b += kBlock) {
    const size_t b_end = std::min(z.size(), b + kBlock);
    if (best.size() == n) {
      const std::span<const float> block = z.subspan(b, b_end - b);
      if (max_inline(block) <= z[size_t(best.back())]) continue;
    }
    for (size_t i = b; i < b_end; ++i) {
      if (best.size() == n && z[i] <= z[size_t(best.back())]) continue;
      size_t at = best.size();
      while (at > 0 && z[i] > z[size_t(best[at - 1])]) --at;  // strict: earlier ids win ties
      best.insert(best.begin() + std::ptrdiff_t(at), int32_t(i));
      if (best.size() > n) best.pop_back();
    }
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
  double S = 0, Su = 0;
  exp_sums(logits, mx, S, Su);
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
