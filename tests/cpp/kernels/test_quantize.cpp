// Reference quantizers: hand-worked blocks whose bytes follow from ggml's definitions
// (quantize_row_*_ref: Q8_0 rounds half away from zero; Q4_0 maps the signed value of largest
// magnitude to -8 and truncates x/d + 8.5; Q4_1 truncates (x-min)/d + 0.5; bf16 rounds to
// nearest even). Bit parity with gguf-py on random and awkward data: tests/python/test_quantize.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/block_formats.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "kernels/dequant.hpp"
#include "kernels/quantize.hpp"

namespace tock {
namespace {

TEST(Quantize, Q8_0RoundsHalfAwayFromZeroWithScaleMaxOver127) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127;  // amax = 127 -> d = 1 exactly
  x[1] = 63.5f;
  x[2] = -63.5f;
  x[3] = 0.49f;
  x[4] = -2.5f;
  BlockQ8_0 b{};
  quantize_row_q8_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3c00);  // f16 1.0
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 64);
  EXPECT_EQ(b.qs[2], -64);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(b.qs[4], -3);
}

TEST(Quantize, Q4_0MapsSignedMaxToMinus8AndClipsTheOtherEnd) {
  std::vector<float> x(32, 0.0f);
  x[0] = -8;    // first of largest magnitude: d = -8 / -8 = 1
  x[1] = 8;     // same magnitude, later: 8 + 8.5 = 16.5 -> clipped to 15
  x[2] = 7;     // 15
  x[3] = 0.5f;  // trunc(9.0) = 9
  x[4] = -0.5f; // trunc(8.0) = 8
  x[16] = 3;    // element 16 is the high nibble of byte 0: 11
  BlockQ4_0 b{};
  quantize_row_q4_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3c00);
  EXPECT_EQ(b.qs[0], 0 | 11 << 4);
  EXPECT_EQ(b.qs[1], 15 | 8 << 4);  // x[17] = 0 -> 8
  EXPECT_EQ(b.qs[2], 15 | 8 << 4);
  EXPECT_EQ(b.qs[3], 9 | 8 << 4);
  EXPECT_EQ(b.qs[4], 8 | 8 << 4);
}

TEST(Quantize, Q4_1UsesMinAndRangeOver15) {
  std::vector<float> x(32, 0.0f);
  x[0] = -1;     // min
  x[1] = 14;     // max: d = 15 / 15 = 1
  x[2] = 2.4f;   // trunc(3.4 + 0.5) = 3
  x[3] = 2.5f;   // trunc(3.5 + 0.5) = 4
  x[16] = 6;     // 7
  BlockQ4_1 b{};
  quantize_row_q4_1(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3c00);
  EXPECT_EQ(b.m, 0xbc00);  // f16 -1.0
  EXPECT_EQ(b.qs[0], 0 | 7 << 4);
  EXPECT_EQ(b.qs[1], 15 | 1 << 4);  // x[17] = 0 -> 1
  EXPECT_EQ(b.qs[2], 3 | 1 << 4);
  EXPECT_EQ(b.qs[3], 4 | 1 << 4);
}

TEST(Quantize, ZeroBlocksGiveZeroScaleAndTheZeroLevel) {
  const std::vector<float> x(32, 0.0f);
  BlockQ8_0 q8{};
  BlockQ4_0 q4{};
  quantize_row_q8_0(x.data(), &q8, 32);
  quantize_row_q4_0(x.data(), &q4, 32);
  EXPECT_EQ(q8.d, 0);
  for (int8_t q : q8.qs) EXPECT_EQ(q, 0);
  EXPECT_EQ(q4.d, 0x8000);  // d = 0 / -8 = -0.0, as in ggml
  for (uint8_t q : q4.qs) EXPECT_EQ(q, 0x88);
}

TEST(Quantize, Bf16RoundsToNearestEvenAndKeepsNanQuiet) {
  auto bits = [](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; };
  const float x[] = {1.0f, bits(0x3f808000), bits(0x3f818000), bits(0x3f808001), bits(0x7f800001), -0.0f};
  uint16_t y[6];
  quantize_row_bf16(x, y, 6);
  EXPECT_EQ(y[0], 0x3f80);
  EXPECT_EQ(y[1], 0x3f80);  // tie, even stays
  EXPECT_EQ(y[2], 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(y[3], 0x3f81);  // above the tie
  EXPECT_EQ(y[4], 0x7fc0);  // signalling NaN made quiet
  EXPECT_EQ(y[5], 0x8000);
}

// Round trip through the dequantizer on random rows of odd length (whole blocks): the error is
// at most half a step (Q4_0: one step at the clipped end), plus f16 rounding of the scale.
TEST(Quantize, RoundTripErrorWithinHalfAStep) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int64_t n = 32 * 7;
  std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  for (auto& v : x) v = dist(rng);
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::F16, DType::BF16, DType::F32}) {
    std::vector<uint8_t> q(row_bytes(t, n));
    quantize_row(t, x.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
    for (int64_t b = 0; b < n / 32; ++b) {
      float lo = x[b * 32], hi = lo, amax = 0;
      for (int j = 0; j < 32; ++j) {
        lo = std::min(lo, x[b * 32 + j]);
        hi = std::max(hi, x[b * 32 + j]);
        amax = std::max(amax, std::fabs(x[b * 32 + j]));
      }
      const float step = t == DType::Q8_0 ? amax / 127 : t == DType::Q4_0 ? amax / 8 : t == DType::Q4_1 ? (hi - lo) / 15 : 0;
      const float bound = t == DType::Q4_0 ? step : 0.5f * step;
      const float rel = t == DType::BF16 ? 1.0f / 256 : t == DType::F32 ? 0 : 1.0f / 1024;
      for (int j = 0; j < 32; ++j) {
        const float xi = x[b * 32 + j];
        EXPECT_LE(std::fabs(y[b * 32 + j] - xi), bound * 1.01f + std::fabs(xi) * rel + 1e-6f)
            << dtype_name(t) << " element " << b * 32 + j;
      }
    }
  }
}

TEST(Quantize, RejectsPartialBlocksAndUnsupportedTypes) {
  std::vector<float> x(40, 1.0f);
  std::vector<uint8_t> y(1024);
  EXPECT_THROW(quantize_row(DType::Q8_0, x.data(), y.data(), 40), Error);
  EXPECT_THROW(quantize_row(DType::Q4_K, x.data(), y.data(), 256), Error);
  EXPECT_FALSE(can_quantize(DType::Q6_K));
  EXPECT_TRUE(can_quantize(DType::Q4_1));
}

}  // namespace
}  // namespace tock
