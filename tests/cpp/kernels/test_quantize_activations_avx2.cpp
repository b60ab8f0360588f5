// quantize_row_q16_32_avx2 writes the very bytes the scalar quantize_row_q16_32 writes: random
// rows at many scales, rows built to hit rounding ties (x·(1/d) = k + 0.5 exactly), zeros, −0,
// subnormals, a NaN element (skipped by both maxima), and huge values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

void expect_same_bytes(const std::vector<float>& x) {
  const int64_t K = int64_t(x.size()), nb = K / 32;
  std::vector<BlockQ16_32> ref(static_cast<size_t>(nb)), fast(static_cast<size_t>(nb));
  std::memset(ref.data(), 0x5A, ref.size() * sizeof(BlockQ16_32));
  std::memset(fast.data(), 0xA5, fast.size() * sizeof(BlockQ16_32));
  quantize_row_q16_32(x.data(), ref.data(), K);
  quantize_row_q16_32_avx2(x.data(), fast.data(), K);
  for (int64_t b = 0; b < nb; ++b) {
    const auto& r = ref[size_t(b)];
    const auto& f = fast[size_t(b)];
    EXPECT_EQ(0, std::memcmp(&r.d, &f.d, 4)) << "block " << b << " d " << r.d << " vs " << f.d;
    EXPECT_EQ(r.isum, f.isum) << "block " << b;
    EXPECT_EQ(0, std::memcmp(r.qs, f.qs, sizeof(r.qs))) << "block " << b;
  }
}

TEST(QuantizeActivationsAvx2, SameBytesAsScalar) {
  if (int(detected_isa()) < int(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(5);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  for (float scale : {1e-30f, 1e-3f, 1.0f, 37.5f, 1e20f}) {
    std::vector<float> x(32 * 19);
    for (float& v : x) v = n01(rng) * scale;
    expect_same_bytes(x);
  }
  // Ties: amax = 32767 makes d = 1 and 1/d = 1, so k + 0.5 rounds away from zero.
  std::vector<float> ties(64);
  for (int i = 0; i < 64; ++i) ties[size_t(i)] = (i % 2 ? -1.0f : 1.0f) * (float(i * 97 % 30000) + 0.5f);
  ties[0] = ties[32] = 32767.0f;
  expect_same_bytes(ties);
  std::vector<float> odd(96, 0.0f);  // a zero block, then −0 and subnormals, then a NaN and huge values
  odd[32] = -0.0f;
  odd[33] = std::numeric_limits<float>::denorm_min();
  odd[40] = -3e-39f;
  odd[64] = std::numeric_limits<float>::quiet_NaN();
  odd[65] = 3e38f;
  odd[66] = -1e38f;
  odd[67] = 1.0f;
  expect_same_bytes(odd);
}

}  // namespace
}  // namespace tock
