// RMSNorm's training forward/backward: the threaded backward against the plain loops, and the
// plain loops against central finite differences of a double-precision forward.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/norm.hpp"
#include "kernels/rmsnorm_backward.hpp"
#include "backward_test_data.hpp"

namespace {

using tock::testing_data::randn;

// Σ_n,c dout · rmsnorm(x)[n,c] in double: the scalar whose gradient the backward computes.
double objective(const std::vector<double>& x, const std::vector<double>& w,
                 const std::vector<float>& dout, int64_t N, int64_t C, double eps) {
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    double ss = 0.0;
    for (int64_t c = 0; c < C; ++c) ss += x[static_cast<size_t>(n * C + c)] * x[static_cast<size_t>(n * C + c)];
    const double r = 1.0 / std::sqrt(ss / double(C) + eps);
    for (int64_t c = 0; c < C; ++c)
      total += double(dout[static_cast<size_t>(n * C + c)]) * x[static_cast<size_t>(n * C + c)] * r * w[static_cast<size_t>(c)];
  }
  return total;
}

TEST(RmsnormBackward, ForwardMatchesInferenceRmsNorm) {
  const int64_t N = 5, C = 37;
  const auto x = randn(static_cast<size_t>(N * C), 1), w = randn(static_cast<size_t>(C), 2);
  std::vector<float> out(static_cast<size_t>(N * C)), ref(static_cast<size_t>(N * C)), rstd(static_cast<size_t>(N));
  tock::rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), N, C, 1e-5f);
  tock::rms_norm(x.data(), w.data(), ref.data(), N, C, 1e-5f);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_FLOAT_EQ(out[i], ref[i]) << i;
}

TEST(RmsnormBackward, MatchesFiniteDifferences) {
  const int64_t N = 3, C = 11;
  const double eps = 1e-5;
  const auto x = randn(static_cast<size_t>(N * C), 3), w = randn(static_cast<size_t>(C), 4), dout = randn(static_cast<size_t>(N * C), 5);
  std::vector<float> y(static_cast<size_t>(N * C)), rstd(static_cast<size_t>(N));
  tock::rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, C, float(eps));
  std::vector<float> dx(static_cast<size_t>(N * C), 0.0f), dw(static_cast<size_t>(C), 0.0f);
  tock::rmsnorm_backward_ref(dx.data(), dw.data(), dout.data(), x.data(), w.data(), rstd.data(),
                             N, C);
  std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end());
  const double h = 1e-6;
  for (size_t i = 0; i < xd.size(); ++i) {
    auto xp = xd, xm = xd;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (objective(xp, wd, dout, N, C, eps) - objective(xm, wd, dout, N, C, eps)) / (2 * h);
    EXPECT_NEAR(dx[i], fd, 1e-4 * std::max(1.0, std::abs(fd))) << "dinp " << i;
  }
  for (size_t c = 0; c < wd.size(); ++c) {
    auto wp = wd, wm = wd;
    wp[c] += h;
    wm[c] -= h;
    const double fd = (objective(xd, wp, dout, N, C, eps) - objective(xd, wm, dout, N, C, eps)) / (2 * h);
    EXPECT_NEAR(dw[c], fd, 1e-4 * std::max(1.0, std::abs(fd))) << "dweight " << c;
  }
}

TEST(RmsnormBackward, ThreadedMatchesReferenceAndAccumulates) {
  const int64_t N = 67, C = 129;  // odd sizes: uneven thread chunks
  const auto x = randn(static_cast<size_t>(N * C), 6, 2.0f), w = randn(static_cast<size_t>(C), 7),
             dout = randn(static_cast<size_t>(N * C), 8);
  std::vector<float> y(static_cast<size_t>(N * C)), rstd(static_cast<size_t>(N));
  tock::rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, C, 1e-6f);
  // Start from non-zero gradients: both must add, not overwrite.
  auto dx = randn(static_cast<size_t>(N * C), 9), dw = randn(static_cast<size_t>(C), 10);
  auto dx_ref = dx, dw_ref = dw;
  tock::rmsnorm_backward(dx.data(), dw.data(), dout.data(), x.data(), w.data(), rstd.data(), N, C);
  tock::rmsnorm_backward_ref(dx_ref.data(), dw_ref.data(), dout.data(), x.data(), w.data(),
                             rstd.data(), N, C);
  for (size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(dx[i], dx_ref[i], 1e-5f) << i;
  for (size_t i = 0; i < dw.size(); ++i) EXPECT_NEAR(dw[i], dw_ref[i], 1e-4f) << i;
}

}  // namespace
