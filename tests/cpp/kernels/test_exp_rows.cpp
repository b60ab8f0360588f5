// exp_rows: row_max and exp_shift_sum (AVX2 vector exp where the CPU has it) against std::max
// and std::exp in double on odd row lengths (SIMD tails) and arguments from 0 down to −100.
// Tolerance: the Cephes expf polynomial is ~1 ulp; we allow 4 ulp (5e-7 relative) for
// arguments >= −80. Below −87 the vector exp clamps (returns exp(−87) ≈ 1.6e-38, not 0): an
// absolute error under 2e-38, invisible next to a softmax row's largest term (1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/exp_rows.hpp"

namespace tock {
namespace {

TEST(ExpRows, MaxAndShiftedExpMatchLibm) {
  std::mt19937 rng(3);
  for (int64_t n : {1, 7, 8, 9, 31, 4099}) {
    SCOPED_TRACE(n);
    std::uniform_real_distribution<float> u(-50.0f, 50.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = u(rng);
    x[size_t(n / 2)] = 60.0f;  // the max, away from the front
    if (n > 2) x[1] = -60.0f;  // far below: exp(-120) is under the clamp
    EXPECT_EQ(row_max(x.data(), n), n > 1 ? 60.0f : x[0]);
    const float shift = row_max(x.data(), n);
    std::vector<float> out(x.size());
    const float sum = exp_shift_sum(out.data(), x.data(), n, shift);
    double want_sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      // The argument as f32 computes it (its rounding is the caller's, not exp's).
      const double arg = double(x[size_t(i)] - shift), want = std::exp(arg);
      want_sum += want;
      if (arg >= -80.0)
        ASSERT_NEAR(out[size_t(i)], want, 5e-7 * want) << "arg " << arg;
      else
        ASSERT_NEAR(out[size_t(i)], want, 2e-38) << "arg " << arg;
    }
    EXPECT_NEAR(sum, want_sum, 1e-6 * want_sum);
    // In place (attention's use).
    std::vector<float> y = x;
    EXPECT_EQ(exp_shift_sum(y.data(), y.data(), n, shift), sum);
    EXPECT_EQ(y, out);
  }
}

}  // namespace
}  // namespace tock
