// Dequantization to f32: hand-built blocks whose values follow from the format definitions
// (shared/field-notes.md, ggml-common.h). Bit-exact parity with the gguf Python package on
// random blocks and on every tensor of the default model: tests/python/test_gguf_parity.py.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/block_formats.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "kernels/dequant.hpp"

namespace tock {
namespace {

template <typename Block>
std::vector<float> deq(DType t, const Block& b, int n) {
  std::vector<float> y(size_t(n), -999.f);
  dequantize_row(t, &b, y.data(), n);
  return y;
}

TEST(Dequant, F16AndBF16AndF32) {
  const uint16_t h[4] = {0x3C00, 0xC000, 0x0001, 0x7BFF};  // 1, -2, 2^-24, 65504
  std::vector<float> y(4);
  dequantize_row(DType::F16, h, y.data(), 4);
  EXPECT_EQ(y, (std::vector<float>{1.f, -2.f, 0x1p-24f, 65504.f}));
  const uint16_t b[3] = {0x3F80, 0xC0A0, 0x0000};  // 1, -5, 0
  dequantize_row(DType::BF16, b, y.data(), 3);
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], -5.f);
  EXPECT_EQ(y[2], 0.f);
  const float f[2] = {3.5f, -0.f};
  dequantize_row(DType::F32, f, y.data(), 2);
  EXPECT_EQ(y[0], 3.5f);
}

TEST(Dequant, Q8_0IsScaleTimesInt8) {
  BlockQ8_0 b;
  b.d = 0x3800;  // 0.5
  for (int j = 0; j < 32; ++j) b.qs[j] = int8_t(j * 8 - 128);
  const auto y = deq(DType::Q8_0, b, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * float(j * 8 - 128)) << j;
}

TEST(Dequant, Q4_0LowNibblesFirst) {
  BlockQ4_0 b;
  b.d = 0x4000;  // 2
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
  const auto y = deq(DType::Q4_0, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.f * float(j - 8)) << j;            // low nibble -> element j
    EXPECT_EQ(y[j + 16], 2.f * float(7 - j)) << j;       // high nibble (15-j) - 8 -> element j+16
  }
}

TEST(Dequant, Q4_1ScaleAndMin) {
  BlockQ4_1 b;
  b.d = 0x3400;  // 0.25
  b.m = 0xBC00;  // -1
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | (j << 4));
  const auto y = deq(DType::Q4_1, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.25f * float(j) - 1.f);
    EXPECT_EQ(y[j + 16], 0.25f * float(j) - 1.f);
  }
}

TEST(Dequant, Q5_0FifthBitFromQh) {
  BlockQ5_0 b;
  b.d = 0x3C00;  // 1
  const uint32_t qh = 0xA5A5F00Fu;  // bit j is the fifth bit of element j
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t((j % 16) | ((15 - j) << 4));
  const auto y = deq(DType::Q5_0, b, 32);
  for (int j = 0; j < 32; ++j) {
    const int lo = j < 16 ? j : 15 - (j - 16);
    const int q = lo | int((qh >> j) & 1) << 4;
    EXPECT_EQ(y[j], float(q - 16)) << j;
  }
}

TEST(Dequant, Q5_1FifthBitScaleAndMin) {
  BlockQ5_1 b;
  b.d = 0x3800;  // 0.5
  b.m = 0x4200;  // 3
  const uint32_t qh = 0x0F0F3C3Cu;
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(0xF0 | (j & 0xF));
  const auto y = deq(DType::Q5_1, b, 32);
  for (int j = 0; j < 32; ++j) {
    const int lo = j < 16 ? j : 15;
    const int q = lo | int((qh >> j) & 1) << 4;
    EXPECT_EQ(y[j], 0.5f * float(q) + 3.f) << j;
  }
}

// Packs 8 six-bit (scale, min) pairs the way Q4_K/Q5_K store them: pairs 0-3 in the low 6 bits
// of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 keep their low 4 bits in bytes 8-11 and their
// top 2 bits in the top bits of bytes 0-3 (scales) and 4-7 (mins).
void pack_k_scales(const int sc[8], const int mn[8], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 4; ++j) {
    out[j] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
    out[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
}

TEST(Dequant, Q4_KSubBlockScalesAndMins) {
  const int sc[8] = {1, 2, 63, 5, 37, 16, 48, 63};
  const int mn[8] = {0, 3, 7, 63, 21, 33, 0, 50};
  BlockQ4_K b;
  b.d = 0x3800;     // 0.5
  b.dmin = 0x3400;  // 0.25
  pack_k_scales(sc, mn, b.scales);
  // Element e is in sub-block e/32; chunk c = e/64 holds 32 bytes whose low nibbles are
  // elements 64c..64c+31 and high nibbles 64c+32..64c+63.
  int q[256];
  for (int e = 0; e < 256; ++e) q[e] = (e * 7 + 3) % 16;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = uint8_t(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  const auto y = deq(DType::Q4_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    EXPECT_EQ(y[e], (0.5f * float(sc[s])) * float(q[e]) - 0.25f * float(mn[s])) << e;
  }
}

TEST(Dequant, Q5_KHighBitsFromQh) {
  const int sc[8] = {9, 1, 2, 3, 40, 41, 62, 17};
  const int mn[8] = {1, 0, 5, 6, 44, 0, 19, 63};
  BlockQ5_K b;
  b.d = 0x3C00;     // 1
  b.dmin = 0x3800;  // 0.5
  pack_k_scales(sc, mn, b.scales);
  // Low nibbles as in Q4_K; the fifth bit of element e is bit (e/32) of qh[e%32].
  int q[256];
  for (int e = 0; e < 256; ++e) q[e] = (e * 13 + 5) % 32;
  std::memset(b.qh, 0, sizeof b.qh);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      b.qs[32 * c + l] = uint8_t((q[64 * c + l] & 15) | ((q[64 * c + 32 + l] & 15) << 4));
  for (int e = 0; e < 256; ++e) b.qh[e % 32] |= uint8_t((q[e] >> 4) << (e / 32));
  const auto y = deq(DType::Q5_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    EXPECT_EQ(y[e], (1.f * float(sc[s])) * float(q[e]) - 0.5f * float(mn[s])) << e;
  }
}

TEST(Dequant, Q6_KLayoutAndScaleLast) {
  BlockQ6_K b;
  b.d = 0x3400;  // 0.25, stored after the scales
  for (int k = 0; k < 16; ++k) b.scales[k] = int8_t(k * 9 - 70);
  // Element e: half h = e/128, r = e%128, quarter g = r/32, l = r%32. Its low 4 bits are the
  // low (g<2) or high (g>=2) nibble of ql[64h + 32(g%2) + l]; its top 2 bits are bits 2g..2g+1
  // of qh[32h + l]; its scale is scales[8h + 2g + l/16]; q = (low | top<<4) - 32.
  int q[256];
  for (int e = 0; e < 256; ++e) q[e] = (e * 29 + 11) % 64;
  std::memset(b.ql, 0, sizeof b.ql);
  std::memset(b.qh, 0, sizeof b.qh);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
    b.ql[64 * h + 32 * (g % 2) + l] |= uint8_t((q[e] & 15) << (g >= 2 ? 4 : 0));
    b.qh[32 * h + l] |= uint8_t((q[e] >> 4) << (2 * g));
  }
  const auto y = deq(DType::Q6_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
    const int s = b.scales[8 * h + 2 * g + l / 16];
    EXPECT_EQ(y[e], 0.25f * float(s) * float(q[e] - 32)) << e;
  }
}

TEST(Dequant, Q2_KTwoBitGroupsOfSixteen) {
  BlockQ2_K b;
  b.d = 0x3C00;     // 1
  b.dmin = 0x3800;  // 0.5
  // 16 groups of 16; group s has scale scales[s] & 15 and min scales[s] >> 4. Element e: half
  // h = e/128, r = e%128, shift pair j = r/32, l = r%32 -> bits 2j..2j+1 of qs[32h + l].
  for (int s = 0; s < 16; ++s) b.scales[s] = uint8_t((s % 16) | (((15 - s) % 16) << 4));
  int q[256];
  for (int e = 0; e < 256; ++e) q[e] = (e * 5 + 1) % 4;
  std::memset(b.qs, 0, sizeof b.qs);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, r = e % 128, j = r / 32, l = r % 32;
    b.qs[32 * h + l] |= uint8_t(q[e] << (2 * j));
  }
  const auto y = deq(DType::Q2_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 16;
    EXPECT_EQ(y[e], float(s) * float(q[e]) - 0.5f * float(15 - s)) << e;
  }
}

TEST(Dequant, Q3_KSignedScalesAndHighMask) {
  BlockQ3_K b;
  b.d = 0x4000;  // 2
  // 16 six-bit scales (stored +32): low 4 bits of scale s in byte s%8 (nibble s/8), top 2 bits
  // in byte 8 + s%4 (bits 2(s/4)..). Element e has scale e/16, low 2 bits as in Q2_K, and
  // loses 4 when bit (e/32) of hmask[e%32] is clear.
  int scale[16];
  for (int s = 0; s < 16; ++s) scale[s] = (s * 11) % 64 - 32;
  std::memset(b.scales, 0, sizeof b.scales);
  for (int s = 0; s < 16; ++s) {
    const int u = scale[s] + 32;
    b.scales[s % 8] |= uint8_t((u & 15) << (4 * (s / 8)));
    b.scales[8 + s % 4] |= uint8_t((u >> 4) << (2 * (s / 4)));
  }
  int lo[256], hi[256];
  std::memset(b.qs, 0, sizeof b.qs);
  std::memset(b.hmask, 0, sizeof b.hmask);
  for (int e = 0; e < 256; ++e) {
    lo[e] = (e * 3 + 2) % 4;
    hi[e] = (e / 3) % 2;
    const int h = e / 128, r = e % 128, j = r / 32, l = r % 32;
    b.qs[32 * h + l] |= uint8_t(lo[e] << (2 * j));
    b.hmask[e % 32] |= uint8_t(hi[e] << (e / 32));
  }
  const auto y = deq(DType::Q3_K, b, 256);
  for (int e = 0; e < 256; ++e)
    EXPECT_EQ(y[e], (2.f * float(scale[e / 16])) * float(lo[e] - (hi[e] ? 0 : 4))) << e;
}

TEST(Dequant, UnsupportedTypeNamesTensorAndType) {
  std::vector<uint8_t> bytes(292, 0);
  TensorView t;
  t.name = "blk.0.ffn_up.weight";
  t.type = DType::Q8_K;
  t.n_dims = 1;
  t.ne = {256, 1, 1, 1};
  t.data = bytes.data();
  t.nbytes = bytes.size();
  try {
    dequantize(t);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'blk.0.ffn_up.weight' has type Q8_K"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(can_dequantize(DType::Q8_K));
  EXPECT_TRUE(can_dequantize(DType::Q4_1));
  std::vector<float> y(40);
  EXPECT_THROW(dequantize_row(DType::Q4_0, bytes.data(), y.data(), 40), Error);
}

TEST(Dequant, WholeTensorRowsInOrder) {
  std::vector<BlockQ8_0> blocks(3);
  for (int r = 0; r < 3; ++r) {
    blocks[size_t(r)].d = f32_to_f16(float(r + 1));
    for (int j = 0; j < 32; ++j) blocks[size_t(r)].qs[j] = int8_t(j);
  }
  TensorView t;
  t.name = "w";
  t.type = DType::Q8_0;
  t.n_dims = 2;
  t.ne = {32, 3, 1, 1};
  t.data = blocks.data();
  t.nbytes = 3 * sizeof(BlockQ8_0);
  const auto y = dequantize(t);
  ASSERT_EQ(y.size(), 96u);
  EXPECT_EQ(y[2 * 32 + 5], 3.f * 5.f);
  t.nbytes -= 1;
  EXPECT_THROW(dequantize(t), Error);
  // An empty tensor is an empty result (and no memcpy from a null pointer).
  t.ne = {32, 0, 1, 1};
  t.nbytes = 0;
  t.data = nullptr;
  EXPECT_TRUE(dequantize(t).empty());
}

}  // namespace
}  // namespace tock
