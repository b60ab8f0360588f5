// SwiGLU's training forward/backward: hand-worked values, finite differences, and the threaded
// version against the plain loop.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/swiglu_backward.hpp"
#include "backward_test_data.hpp"

namespace {

using tock::testing_data::randn;

double swiglu_d(double g, double u) { return g / (1.0 + std::exp(-g)) * u; }

TEST(SwigluBackward, HandWorkedValues) {
  // gate 0: silu(0) = 0, silu'(0) = σ(0) = 1/2.  gate ln 3: σ = 3/4, silu = 3/4·ln 3,
  // silu' = 3/4·(1 + ln 3 / 4).
  const float gate[2] = {0.0f, std::log(3.0f)}, up[2] = {2.0f, -1.0f}, dout[2] = {3.0f, 0.5f};
  float out[2], dgate[2] = {0, 0}, dup[2] = {0, 0};
  tock::swiglu_forward(out, gate, up, 2);
  tock::swiglu_backward_ref(dgate, dup, dout, gate, up, 2);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], -0.75 * std::log(3.0), 1e-6);
  EXPECT_FLOAT_EQ(dgate[0], 3.0f * 2.0f * 0.5f);
  EXPECT_FLOAT_EQ(dup[0], 0.0f);
  EXPECT_NEAR(dgate[1], 0.5 * -1.0 * 0.75 * (1.0 + std::log(3.0) / 4.0), 1e-6);
  EXPECT_NEAR(dup[1], 0.5 * 0.75 * std::log(3.0), 1e-6);
}

TEST(SwigluBackward, MatchesFiniteDifferences) {
  const auto g = randn(50, 1, 3.0f), u = randn(50, 2), dout = randn(50, 3);
  std::vector<float> dg(50, 0.0f), du(50, 0.0f);
  tock::swiglu_backward_ref(dg.data(), du.data(), dout.data(), g.data(), u.data(), 50);
  const double h = 1e-6;
  for (size_t i = 0; i < 50; ++i) {
    const double fg = (swiglu_d(g[i] + h, u[i]) - swiglu_d(g[i] - h, u[i])) / (2 * h) * dout[i];
    const double fu = (swiglu_d(g[i], u[i] + h) - swiglu_d(g[i], u[i] - h)) / (2 * h) * dout[i];
    EXPECT_NEAR(dg[i], fg, 1e-5 * std::max(1.0, std::abs(fg))) << i;
    EXPECT_NEAR(du[i], fu, 1e-5 * std::max(1.0, std::abs(fu))) << i;
  }
}

TEST(SwigluBackward, ThreadedMatchesReferenceAndAccumulates) {
  const size_t n = 10007;  // several thread chunks and a ragged tail
  const auto g = randn(n, 4, 2.0f), u = randn(n, 5), dout = randn(n, 6);
  auto dg = randn(n, 7), du = randn(n, 8);
  auto dg_ref = dg, du_ref = du;
  tock::swiglu_backward(dg.data(), du.data(), dout.data(), g.data(), u.data(), int64_t(n));
  tock::swiglu_backward_ref(dg_ref.data(), du_ref.data(), dout.data(), g.data(), u.data(), int64_t(n));
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(dg[i], dg_ref[i]) << i;
    ASSERT_EQ(du[i], du_ref[i]) << i;
  }
}

}  // namespace
