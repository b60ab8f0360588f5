// f32_to_f16_row (F16C where present) against the scalar round-to-nearest-even f32_to_f16,
// bit for bit: random values over the whole half range, exact ties between neighbouring halves,
// half subnormals, the overflow edge and infinities, on lengths that are not multiples of 8.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/float16.hpp"
#include "kernels/f16_rows.hpp"

namespace tock {
namespace {

std::vector<float> test_values() {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f, 1e9f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          6.0e-8f, 2.98e-8f, 2.9802322e-8f, 1e-12f, -3.0e-6f, 6.1035156e-5f, 6.1e-5f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-27.0f, 17.0f), sign(-1.0f, 1.0f);
  for (int i = 0; i < 3000; ++i) v.push_back(std::copysign(std::exp2(exponent(rng)), sign(rng)));
  // Halfway between two neighbouring halves (ties go to the even one), normal and subnormal.
  std::uniform_int_distribution<int> half_bits(1, 0x7bfe);
  for (int i = 0; i < 500; ++i) {
    const auto h = uint16_t(half_bits(rng));
    const double a = f16_to_f32(h), b = f16_to_f32(uint16_t(h + 1));
    v.push_back(float((a + b) / 2));
  }
  return v;
}

TEST(F16Rows, MatchesScalarRoundToNearestEvenBitForBit) {
  const std::vector<float> x = test_values();
  const bool have_f16c = int(detected_isa()) >= int(Isa::Avx2);
  for (int64_t n : {int64_t(1), int64_t(7), int64_t(8), int64_t(13), int64_t(x.size())}) {
    std::vector<uint16_t> out(static_cast<size_t>(n)), f16c(static_cast<size_t>(n));
    f32_to_f16_row(x.data(), out.data(), n);
    if (have_f16c) f32_to_f16_row_f16c(x.data(), f16c.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t want = f32_to_f16(x[size_t(i)]);
      EXPECT_EQ(out[size_t(i)], want) << "n=" << n << " x=" << x[size_t(i)];
      if (have_f16c) {
        EXPECT_EQ(f16c[size_t(i)], want) << "f16c n=" << n << " x=" << x[size_t(i)];
      }
    }
  }
}

TEST(F16Rows, NanStaysNan) {
  const float x[9] = {std::numeric_limits<float>::quiet_NaN(), 1, 2, 3, 4, 5, 6, 7,
                      -std::numeric_limits<float>::quiet_NaN()};
  uint16_t out[9];
  f32_to_f16_row(x, out, 9);
  EXPECT_TRUE(std::isnan(f16_to_f32(out[0])));
  EXPECT_TRUE(std::isnan(f16_to_f32(out[8])));
  EXPECT_EQ(out[1], f32_to_f16(1.0f));
}

}  // namespace
}  // namespace tock
