// RoPE's backward: a hand-worked rotation, the adjoint identity <rope(x), y> = <x, rope_backward(y)>
// for both pairings and a partial n_rot, and the batched versions against per-sequence calls.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/rope.hpp"
#include "kernels/rope_backward.hpp"
#include "backward_test_data.hpp"

namespace {

using tock::testing_data::randn;

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

TEST(RopeBackward, HandWorkedRotation) {
  // One head of 4 dims at position 1, base 100: pair 0 turns by 1 rad, pair 1 by 1/10 rad.
  // The backward turns the gradient back: (1, 0) -> (cos θ, −sin θ).
  const int32_t pos = 1;
  float adj[4] = {1, 0, 1, 0}, neox[4] = {1, 1, 0, 0};
  tock::rope_backward(adj, &pos, 1, 1, 4, 4, 100.0f, tock::RopeStyle::adjacent);
  EXPECT_NEAR(adj[0], std::cos(1.0), 1e-6);
  EXPECT_NEAR(adj[1], -std::sin(1.0), 1e-6);
  EXPECT_NEAR(adj[2], std::cos(0.1), 1e-6);
  EXPECT_NEAR(adj[3], -std::sin(0.1), 1e-6);
  tock::rope_backward(neox, &pos, 1, 1, 4, 4, 100.0f, tock::RopeStyle::neox);  // pairs (0,2), (1,3)
  EXPECT_NEAR(neox[0], std::cos(1.0), 1e-6);
  EXPECT_NEAR(neox[2], -std::sin(1.0), 1e-6);
  EXPECT_NEAR(neox[1], std::cos(0.1), 1e-6);
  EXPECT_NEAR(neox[3], -std::sin(0.1), 1e-6);
}

TEST(RopeBackward, IsTheAdjointOfRope) {
  const int64_t T = 9, NH = 3, HS = 10;
  std::vector<int32_t> pos(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) pos[static_cast<size_t>(t)] = int32_t(5 * t + 2);
  for (auto style : {tock::RopeStyle::adjacent, tock::RopeStyle::neox}) {
    for (int64_t n_rot : {HS, int64_t(6)}) {
      const auto x = randn(static_cast<size_t>(T * NH * HS), 1), y = randn(static_cast<size_t>(T * NH * HS), 2);
      auto rx = x, by = y;
      tock::rope(rx.data(), pos.data(), T, NH, HS, n_rot, 10000.0f, style);
      tock::rope_backward(by.data(), pos.data(), T, NH, HS, n_rot, 10000.0f, style);
      EXPECT_NEAR(dot(rx, y), dot(x, by), 1e-4) << "n_rot " << n_rot;
      // A rotation's transpose is its inverse.
      tock::rope_backward(rx.data(), pos.data(), T, NH, HS, n_rot, 10000.0f, style);
      for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(rx[i], x[i], 1e-5) << i;
    }
  }
}

TEST(RopeBackward, BatchedMatchesPerSequenceCalls) {
  const int64_t B = 3, T = 13, NH = 2, HS = 8;  // 39 rows: thread chunks cross sequences
  std::vector<int32_t> pos(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) pos[static_cast<size_t>(t)] = int32_t(t);
  const auto x = randn(static_cast<size_t>(B * T * NH * HS), 3);
  auto fwd = x, bwd = x, fwd_ref = x, bwd_ref = x;
  tock::rope_forward_batch(fwd.data(), B, T, NH, HS, HS, 500.0f, tock::RopeStyle::adjacent);
  tock::rope_backward_batch(bwd.data(), B, T, NH, HS, HS, 500.0f, tock::RopeStyle::adjacent);
  for (int64_t b = 0; b < B; ++b) {
    tock::rope(fwd_ref.data() + b * T * NH * HS, pos.data(), T, NH, HS, HS, 500.0f,
               tock::RopeStyle::adjacent);
    tock::rope_backward(bwd_ref.data() + b * T * NH * HS, pos.data(), T, NH, HS, HS, 500.0f,
                        tock::RopeStyle::adjacent);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(fwd[i], fwd_ref[i]) << i;
    ASSERT_EQ(bwd[i], bwd_ref[i]) << i;
  }
}

}  // namespace
