// Scalar row kernels: the integer semantics of the quantized matmul, written plainly.
// Per block, the integer dot Σ q_w·q_x is exact; scales are applied in f32 per block.
// The SIMD kernels compute the same integers and differ only in f32 summation order.
#include <cstring>

#include "core/block_formats.hpp"
#include "core/float16.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

// ---- one weight block · one activation block --------------------------------------------

float block_dot(const BlockQ8_0& w, const BlockQ8_32& x) {
  int32_t s = 0;
  for (int i = 0; i < 32; ++i) s += int32_t(w.qs[i]) * x.qs[i];
  return f16_to_f32(w.d) * x.d * float(s);
}

// Q4_0: element i < 16 is the low nibble of qs[i], element i + 16 its high nibble; y = d·(q−8).
float block_dot(const BlockQ4_0& w, const BlockQ8_32& x) {
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    s += int32_t(w.qs[i] & 0xF) * x.qs[i];
    s += int32_t(w.qs[i] >> 4) * x.qs[i + 16];
  }
  return f16_to_f32(w.d) * x.d * float(s - 8 * x.isum);
}

// Q4_1: y = d·q + m, so Σ y·x = d·dx·Σq·qx + m·dx·Σqx.
float block_dot(const BlockQ4_1& w, const BlockQ8_32& x) {
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    s += int32_t(w.qs[i] & 0xF) * x.qs[i];
    s += int32_t(w.qs[i] >> 4) * x.qs[i + 16];
  }
  return f16_to_f32(w.d) * x.d * float(s) + f16_to_f32(w.m) * x.d * float(x.isum);
}

// Q5_0/Q5_1: the fifth bit of element i is bit i of the little-endian u32 qh.
int32_t q5_dot(const uint8_t* qs, const uint8_t* qh_bytes, const int8_t* xq) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    const int lo = (qs[i] & 0xF) | int((qh >> i) & 1) << 4;
    const int hi = (qs[i] >> 4) | int((qh >> (i + 16)) & 1) << 4;
    s += lo * xq[i] + hi * xq[i + 16];
  }
  return s;
}

float block_dot(const BlockQ5_0& w, const BlockQ8_32& x) {
  const int32_t s = q5_dot(w.qs, w.qh, x.qs);
  return f16_to_f32(w.d) * x.d * float(s - 16 * x.isum);
}

float block_dot(const BlockQ5_1& w, const BlockQ8_32& x) {
  const int32_t s = q5_dot(w.qs, w.qh, x.qs);
  return f16_to_f32(w.d) * x.d * float(s) + f16_to_f32(w.m) * x.d * float(x.isum);
}

// Q4_K: 8 sub-blocks of 32 with 6-bit scale sc_j and min m_j: y = d·sc_j·q − dmin·m_j.
// Bytes qs[32·p + l] hold element 64p + l (low nibble) and 64p + 32 + l (high nibble).
float block_dot(const BlockQ4_K& w, const BlockQ8_K& x) {
  int32_t sum_q = 0, sum_m = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k_scale_min(j, w.scales, &sc, &m);
    const uint8_t* q = w.qs + 32 * (j / 2);
    const int shift = (j & 1) * 4;
    int32_t s = 0;
    for (int l = 0; l < 32; ++l) s += int32_t((q[l] >> shift) & 0xF) * x.qs[32 * j + l];
    sum_q += int32_t(sc) * s;
    sum_m += int32_t(m) * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return f16_to_f32(w.d) * x.d * float(sum_q) - f16_to_f32(w.dmin) * x.d * float(sum_m);
}

// Q5_K: as Q4_K plus a fifth bit: element 64p + l takes bit 2p of qh[l], 64p + 32 + l bit 2p+1.
float block_dot(const BlockQ5_K& w, const BlockQ8_K& x) {
  int32_t sum_q = 0, sum_m = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k_scale_min(j, w.scales, &sc, &m);
    const uint8_t* q = w.qs + 32 * (j / 2);
    const int shift = (j & 1) * 4;
    int32_t s = 0;
    for (int l = 0; l < 32; ++l) {
      const int v = ((q[l] >> shift) & 0xF) | ((w.qh[l] >> j) & 1) << 4;
      s += v * x.qs[32 * j + l];
    }
    sum_q += int32_t(sc) * s;
    sum_m += int32_t(m) * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return f16_to_f32(w.d) * x.d * float(sum_q) - f16_to_f32(w.dmin) * x.d * float(sum_m);
}

// Q6_K: 16 groups of 16 with i8 scales; per half (128 values) element 32c + l (c = 0..3) is
// (ql[l + 32·(c&1)] >> 4·(c>>1)) & 0xF | ((qh[l] >> 2c) & 3) << 4, minus 32.
float block_dot(const BlockQ6_K& w, const BlockQ8_K& x) {
  int32_t sum = 0;
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = w.ql + 64 * h;
    const uint8_t* qh = w.qh + 32 * h;
    const int8_t* sc = w.scales + 8 * h;
    const int8_t* xq = x.qs + 128 * h;
    for (int c = 0; c < 4; ++c) {
      for (int g = 0; g < 2; ++g) {
        int32_t s = 0;
        for (int l = 16 * g; l < 16 * g + 16; ++l) {
          const int v = ((ql[l + 32 * (c & 1)] >> (4 * (c >> 1))) & 0xF) | ((qh[l] >> (2 * c)) & 3) << 4;
          s += (v - 32) * xq[32 * c + l];
        }
        sum += int32_t(sc[2 * c + g]) * s;
      }
    }
  }
  return f16_to_f32(w.d) * x.d * float(sum);
}

// ---- rows ------------------------------------------------------------------------------

template <typename WBlock, typename XBlock, int QK>
void row_dot_q(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out) {
  const auto* wb = reinterpret_cast<const WBlock*>(w);
  for (int t = 0; t < nt; ++t) {
    const auto* xb = static_cast<const XBlock*>(x[t]);
    float acc = 0.0f;
    for (int64_t b = 0; b < K / QK; ++b) acc += block_dot(wb[b], xb[b]);
    out[t] = acc;
  }
}

float load_f32(const uint8_t* w, int64_t k) {
  float v;
  std::memcpy(&v, w + 4 * k, 4);
  return v;
}
float load_f16(const uint8_t* w, int64_t k) {
  uint16_t h;
  std::memcpy(&h, w + 2 * k, 2);
  return f16_to_f32(h);
}
float load_bf16(const uint8_t* w, int64_t k) {
  uint16_t h;
  std::memcpy(&h, w + 2 * k, 2);
  return bf16_to_f32(h);
}

template <float (*Load)(const uint8_t*, int64_t)>
void row_dot_f(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out) {
  for (int t = 0; t < nt; ++t) {
    const float* xt = static_cast<const float*>(x[t]);
    float acc = 0.0f;
    for (int64_t k = 0; k < K; ++k) acc += Load(w, k) * xt[k];
    out[t] = acc;
  }
}

}  // namespace

RowKernel row_kernel_scalar(DType t) {
  switch (t) {
    case DType::F32: return {ActFormat::F32, row_dot_f<load_f32>};
    case DType::F16: return {ActFormat::F32, row_dot_f<load_f16>};
    case DType::BF16: return {ActFormat::F32, row_dot_f<load_bf16>};
    case DType::Q8_0: return {ActFormat::Q8_32, row_dot_q<BlockQ8_0, BlockQ8_32, 32>};
    case DType::Q4_0: return {ActFormat::Q8_32, row_dot_q<BlockQ4_0, BlockQ8_32, 32>};
    case DType::Q4_1: return {ActFormat::Q8_32, row_dot_q<BlockQ4_1, BlockQ8_32, 32>};
    case DType::Q5_0: return {ActFormat::Q8_32, row_dot_q<BlockQ5_0, BlockQ8_32, 32>};
    case DType::Q5_1: return {ActFormat::Q8_32, row_dot_q<BlockQ5_1, BlockQ8_32, 32>};
    case DType::Q4_K: return {ActFormat::Q8_K, row_dot_q<BlockQ4_K, BlockQ8_K, QK_K>};
    case DType::Q5_K: return {ActFormat::Q8_K, row_dot_q<BlockQ5_K, BlockQ8_K, QK_K>};
    case DType::Q6_K: return {ActFormat::Q8_K, row_dot_q<BlockQ6_K, BlockQ8_K, QK_K>};
    default: return {};
  }
}

}  // namespace tock
