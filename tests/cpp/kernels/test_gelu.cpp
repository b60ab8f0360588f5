// gelu_forward/gelu_backward (threaded; AVX2 tanh from a vector exp where available) against
// gelu_forward_ref/gelu_backward_ref (libm tanh) on random inputs in ±10, hand-picked hard
// values (0, ±1e-6, the saturated tails ±20, ±100, ±1e20) and odd lengths (SIMD tails).
// Tolerance: the vector tanh's absolute error is ~1e-7 (exp to ~1 ulp, then (1−e)/(1+e)), so
// gelu = 0.5·x·(1 + tanh) may move by ~1e-7·|x| and the derivative by ~1e-7·(1 + x²):
// forward |Δ| ≤ 1e-6·(1 + |x|), backward |Δ| ≤ 1e-6·(1 + x²)·|dout| + 1e-6·|dinp|.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/gelu_backward.hpp"

namespace tock {
namespace {

std::vector<float> inputs(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-10.0f, 10.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  const float hard[] = {0.0f, -0.0f, 1e-6f, -1e-6f, 0.5f, -0.5f, 3.0f, -3.0f, 20.0f, -20.0f,
                        100.0f, -100.0f, 1e20f, -1e20f};
  for (size_t i = 0; i < v.size() && i < sizeof(hard) / sizeof(hard[0]); ++i) v[i * 3 % v.size()] = hard[i];
  return v;
}

TEST(Gelu, FastMatchesLibmReference) {
  for (int64_t n : {1, 7, 8, 9, 4099, 20011}) {
    SCOPED_TRACE(n);
    const auto x = inputs(n, uint32_t(n)), dout = inputs(n, uint32_t(n + 1)),
               dinp0 = inputs(n, uint32_t(n + 2));
    std::vector<float> y(x.size()), y_ref(x.size());
    gelu_forward(y.data(), x.data(), n);
    gelu_forward_ref(y_ref.data(), x.data(), n);
    auto d = dinp0, d_ref = dinp0;
    gelu_backward(d.data(), x.data(), dout.data(), n);
    gelu_backward_ref(d_ref.data(), x.data(), dout.data(), n);
    for (size_t i = 0; i < x.size(); ++i) {
      const double xi = x[i];
      if (std::fabs(xi) < 1e6) {
        ASSERT_NEAR(y[i], y_ref[i], 1e-6 * (1.0 + std::fabs(xi))) << "x=" << xi;
        ASSERT_NEAR(d[i], d_ref[i], 1e-6 * (1.0 + xi * xi) * std::fabs(dout[i]) + 1e-6 * std::fabs(d_ref[i]))
            << "x=" << xi;
      } else {  // x³ overflows: both saturate (gelu = x or 0, slope 1 or 0)
        ASSERT_EQ(y[i], y_ref[i]) << "x=" << xi;
      }
    }
  }
}

}  // namespace
}  // namespace tock
