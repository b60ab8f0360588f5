// The moment's numbers against hand-worked distributions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "clock/moment.hpp"
#include "core/error.hpp"

namespace tock::clock {
namespace {

TEST(Moment, ProbabilitiesAndEntropyOfLogLogitsAreTheNormalisedWeights) {
  // logits ln(1..4) + 7 (a shift must not matter): p = (1, 2, 3, 4) / 10.
  std::vector<float> z;
  for (int i = 1; i <= 4; ++i) z.push_back(std::log(float(i)) + 7.0f);
  const Moment m = compute_moment(z, 1, {});
  EXPECT_NEAR(m.p, 0.2, 1e-6);
  double H = 0;
  for (double p : {0.1, 0.2, 0.3, 0.4}) H -= p * std::log(p);
  EXPECT_NEAR(m.entropy, H, 1e-6);  // 1.27985 nats
  ASSERT_EQ(m.top.size(), 4u);
  EXPECT_EQ(m.top[0].id, 3);
  EXPECT_NEAR(m.top[0].p, 0.4, 1e-6);
  EXPECT_EQ(m.top[3].id, 0);
  EXPECT_FALSE(m.has_final);
}

TEST(Moment, UniformLogitsHaveEntropyLnVAndTiesRankByLowerId) {
  const std::vector<float> z(16, 0.5f);
  const Moment m = compute_moment(z, 5, {}, 3);
  EXPECT_NEAR(m.p, 1.0 / 16, 1e-7);
  EXPECT_NEAR(m.entropy, std::log(16.0), 1e-6);
  ASSERT_EQ(m.top.size(), 3u);
  EXPECT_EQ(m.top[0].id, 0);
  EXPECT_EQ(m.top[1].id, 1);
  EXPECT_EQ(m.top[2].id, 2);
}

TEST(Moment, OneDominantLogitHasNearZeroEntropy) {
  std::vector<float> z(1000, -50.0f);
  z[42] = 50.0f;
  const Moment m = compute_moment(z, 42, {});
  EXPECT_NEAR(m.p, 1.0, 1e-9);
  EXPECT_NEAR(m.entropy, 0.0, 1e-6);
  EXPECT_EQ(m.top[0].id, 42);
}

TEST(Moment, RecordsTheSamplersFinalDistributionWhenItHasSeveralTokens) {
  const std::vector<float> z = {0, 0, 0, 0};
  const std::vector<IdProb> final = {{2, 0.25f}, {0, 0.75f}};
  const Moment m = compute_moment(z, 2, final);
  ASSERT_TRUE(m.has_final);
  EXPECT_NEAR(m.final_p, 0.25, 1e-7);
  EXPECT_NEAR(m.final_entropy, -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)), 1e-6);
  ASSERT_EQ(m.final_top.size(), 2u);
  EXPECT_EQ(m.final_top[0].id, 0);
  // Greedy: the sampler's distribution is the argmax alone; nothing extra is recorded.
  const std::vector<IdProb> greedy = {{2, 1.0f}};
  EXPECT_FALSE(compute_moment(z, 2, greedy).has_final);
}

// The fast passes (vector lanes, polynomial exp, skipped blocks) against the obvious double loop,
// on vocabulary sizes that are not multiples of the vector width and with masked (-inf) logits.
TEST(Moment, MatchesADoubleSoftmaxOnLargeAwkwardVocabularies) {
  std::mt19937 rng(7);
  for (size_t V : {1u, 7u, 65u, 1000u, 49152u, 49157u}) {
    std::normal_distribution<float> d(0.0f, 4.0f);
    std::vector<float> z(V);
    for (float& x : z) x = d(rng);
    if (V > 10) z[3] = -INFINITY;
    if (V > 100) z[V - 1] = z[V / 2] = 25.0f;  // a tie at the top: the lower id ranks first
    double mx = -INFINITY, S = 0, H = 0;
    for (float x : z) mx = std::max(mx, double(x));
    for (float x : z) S += std::exp(double(x) - mx);
    for (float x : z) {
      const double p = std::exp(double(x) - mx) / S;
      if (p > 0) H -= p * std::log(p);
    }
    const int32_t token = int32_t(V / 3);
    const Moment m = compute_moment(z, token, {});
    EXPECT_NEAR(m.p, std::exp(double(z[size_t(token)]) - mx) / S, 1e-6 * m.p + 1e-12) << V;
    EXPECT_NEAR(m.entropy, H, 1e-6 * H + 1e-9) << V;
    std::vector<int32_t> order(V);
    for (size_t i = 0; i < V; ++i) order[i] = int32_t(i);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return z[size_t(a)] > z[size_t(b)]; });
    ASSERT_EQ(m.top.size(), std::min<size_t>(V, kTopK)) << V;
    for (size_t i = 0; i < m.top.size(); ++i) {
      EXPECT_EQ(m.top[i].id, order[i]) << V << " rank " << i;
      EXPECT_NEAR(m.top[i].p, std::exp(double(z[size_t(order[i])]) - mx) / S, 1e-6 * m.top[i].p) << V;
    }
  }
}

TEST(Moment, RejectsATokenOutsideTheLogits) {
  const std::vector<float> z = {1, 2};
  EXPECT_THROW(compute_moment(z, 2, {}), Error);
  EXPECT_THROW(compute_moment(std::vector<float>{}, 0, {}), Error);
}

}  // namespace
}  // namespace tock::clock
