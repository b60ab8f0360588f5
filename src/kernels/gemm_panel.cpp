#include "kernels/gemm_panel.hpp"

#include <cstring>

#include "core/block_formats.hpp"
#include "core/float16.hpp"

namespace tock {
namespace {

// One 32-block of one row: its 32 integer codes and y = d·code + m.
struct Block32 {
  int8_t c[32];
  float d = 0.0f, m = 0.0f;
};

void nibbles(const uint8_t* qs, int bias, int8_t* c) {
  for (int i = 0; i < 16; ++i) {
    c[i] = int8_t((qs[i] & 0xF) - bias);
    c[i + 16] = int8_t((qs[i] >> 4) - bias);
  }
}

void q5(const uint8_t* qs, const uint8_t* qh_bytes, int bias, int8_t* c) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int i = 0; i < 16; ++i) {
    c[i] = int8_t(((qs[i] & 0xF) | int((qh >> i) & 1) << 4) - bias);
    c[i + 16] = int8_t(((qs[i] >> 4) | int((qh >> (i + 16)) & 1) << 4) - bias);
  }
}

// K-quants with 8 sub-blocks of 32 (Q4_K, Q5_K): sub-block j of a super block is a 32-block
// with d = d·sc_j, m = −dmin·m_j (as in matmul_scalar.cpp's k4_dot).
template <typename KBlock>
void k4(const KBlock& w, const uint8_t* qh, int j, Block32& o) {
  uint8_t sc, mn;
  k_scale_min(j, w.scales, &sc, &mn);
  o.d = f16_to_f32(w.d) * float(sc);
  o.m = -(f16_to_f32(w.dmin) * float(mn));
  const uint8_t* q = w.qs + 32 * (j / 2);
  const int shift = (j & 1) * 4;
  for (int l = 0; l < 32; ++l) {
    int v = (q[l] >> shift) & 0xF;
    if (qh) v |= ((qh[l] >> j) & 1) << 4;
    o.c[l] = int8_t(v);
  }
}

// Block b (of 32 elements) of the row starting at w.
void decode(DType t, const uint8_t* w, int64_t b, Block32& o) {
  switch (t) {
    case DType::Q8_0: {
      const auto& x = reinterpret_cast<const BlockQ8_0*>(w)[b];
      std::memcpy(o.c, x.qs, 32);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q4_0: {
      const auto& x = reinterpret_cast<const BlockQ4_0*>(w)[b];
      nibbles(x.qs, 8, o.c);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q4_1: {
      const auto& x = reinterpret_cast<const BlockQ4_1*>(w)[b];
      nibbles(x.qs, 0, o.c);
      o.d = f16_to_f32(x.d);
      o.m = f16_to_f32(x.m);
      return;
    }
    case DType::Q5_0: {
      const auto& x = reinterpret_cast<const BlockQ5_0*>(w)[b];
      q5(x.qs, x.qh, 16, o.c);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q5_1: {
      const auto& x = reinterpret_cast<const BlockQ5_1*>(w)[b];
      q5(x.qs, x.qh, 0, o.c);
      o.d = f16_to_f32(x.d);
      o.m = f16_to_f32(x.m);
      return;
    }
    case DType::Q4_K: {
      const auto& x = reinterpret_cast<const BlockQ4_K*>(w)[b / 8];
      k4(x, nullptr, int(b % 8), o);
      return;
    }
    case DType::Q5_K: {
      const auto& x = reinterpret_cast<const BlockQ5_K*>(w)[b / 8];
      k4(x, x.qh, int(b % 8), o);
      return;
    }
    default: return;
  }
}

}  // namespace

bool gemm_q_type(DType t) {
  switch (t) {
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q4_K: case DType::Q5_K:
      return true;
    default: return false;
  }
}

void pack_q_panel(DType t, const uint8_t* w, size_t row_bytes, int rows, int R, int64_t K,
                  CodeLayout layout, void* codes, float* d, float* m) {
  const int64_t nb = K / 32;
  auto* c16 = static_cast<int16_t*>(codes);
  auto* c8 = static_cast<int8_t*>(codes);
  const size_t block_codes = size_t(32) * size_t(R);
  std::memset(codes, 0, size_t(nb) * block_codes * (layout == CodeLayout::Pairs16 ? 2 : 1));
  std::memset(d, 0, size_t(nb * R) * sizeof(float));
  std::memset(m, 0, size_t(nb * R) * sizeof(float));
  Block32 blk;
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = w + size_t(r) * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      decode(t, row, b, blk);
      d[b * R + r] = blk.d;
      m[b * R + r] = blk.m;
      if (layout == CodeLayout::Pairs16) {
        int16_t* o = c16 + size_t(b) * block_codes + size_t(r) * 2;
        for (int j = 0; j < 16; ++j) {
          o[size_t(j * R) * 2] = blk.c[2 * j];
          o[size_t(j * R) * 2 + 1] = blk.c[2 * j + 1];
        }
      } else {
        int8_t* o = c8 + size_t(b) * block_codes + size_t(r) * 4;
        for (int j = 0; j < 8; ++j) std::memcpy(o + size_t(j * R) * 4, blk.c + 4 * j, 4);
      }
    }
  }
}

}  // namespace tock
