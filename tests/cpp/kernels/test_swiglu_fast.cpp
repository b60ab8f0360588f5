// swiglu_fast (the fast path's SwiGLU, vector exp) against swiglu (libm expf, the reference),
// on random gates over the range where silu bends, extremes where exp would overflow or
// underflow, and lengths that are not multiples of the 8-wide vector; in place as the model
// calls it (out = up).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "kernels/activation.hpp"
#include "kernels/swiglu_fast.hpp"

namespace tock {
namespace {

void expect_close(const std::vector<float>& gate, const std::vector<float>& up) {
  const auto n = int64_t(gate.size());
  std::vector<float> ref(gate.size()), fast = up, avx2 = up;
  swiglu(gate.data(), up.data(), ref.data(), n);
  swiglu_fast(gate.data(), fast.data(), fast.data(), n);  // in place, like the model's epilogue
  const bool have_avx2 = int(detected_isa()) >= int(Isa::Avx2);
  if (have_avx2) swiglu_avx2(gate.data(), avx2.data(), avx2.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const float tol = 1e-6f * std::fabs(ref[size_t(i)]) + 1e-30f;
    EXPECT_NEAR(fast[size_t(i)], ref[size_t(i)], tol) << "n=" << n << " i=" << i << " gate=" << gate[size_t(i)];
    if (have_avx2) {
      EXPECT_NEAR(avx2[size_t(i)], ref[size_t(i)], tol) << "avx2 n=" << n << " i=" << i;
    }
  }
}

TEST(SwigluFast, MatchesLibmSwigluOnRandomGatesAndOddLengths) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> g(-20.0f, 20.0f), u(-3.0f, 3.0f);
  for (int64_t n : {1, 7, 8, 9, 31, 1539}) {
    std::vector<float> gate(static_cast<size_t>(n)), up(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      gate[size_t(i)] = g(rng);
      up[size_t(i)] = u(rng);
    }
    expect_close(gate, up);
  }
}

TEST(SwigluFast, ExtremeGates) {
  // silu(0) = 0; silu(x) → x for large x, → 0⁻ for very negative x (e^-x overflows in libm).
  const std::vector<float> gate{0.0f, -0.0f, 1e-30f, -1e-30f, 80.0f, 88.0f, 100.0f, 1e20f, -80.0f, -86.0f};
  const std::vector<float> up(gate.size(), 1.5f);
  expect_close(gate, up);
  std::vector<float> out(2);
  const float big[2] = {-100.0f, -1e20f}, one[2] = {1.0f, 1.0f};
  swiglu_fast(big, one, out.data(), 2);
  EXPECT_LE(std::fabs(out[0]), 1e-35f);  // the reference gives -3.7e-42 and -0
  EXPECT_LE(std::fabs(out[1]), 1e-35f);
}

}  // namespace
}  // namespace tock
