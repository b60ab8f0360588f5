// The moment's numbers against hand-worked distributions.
#include <gtest/gtest.h>

#include <cmath>
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

TEST(Moment, RejectsATokenOutsideTheLogits) {
  const std::vector<float> z = {1, 2};
  EXPECT_THROW(compute_moment(z, 2, {}), Error);
  EXPECT_THROW(compute_moment(std::vector<float>{}, 0, {}), Error);
}

}  // namespace
}  // namespace tock::clock
