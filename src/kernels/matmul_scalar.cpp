// Scalar row kernels: the integer semantics of the quantized matmul, written plainly.
// Per 32-block of int16 activations (16-group for Q6_K), the integer dot Σ q_w·q_x is exact in
// i32; scales are applied in f32 per block. The SIMD kernels compute the same integers (as
// partial sums per lane) and differ only in f32 conversion and summation order.
#include <cstring>

#include "core/block_formats.hpp"
#include "core/float16.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

// ---- one weight block · its activation blocks -------------------------------------------
// x points at the activation blocks under the weight block (1, or 8 for a K-quant's 256).

float block_dot(const BlockQ8_0& w, const BlockQ16_32* x) {
  int32_t s = 0;
  for (int i = 0; i < 32; ++i) s += int32_t(w.qs[i]) * x->qs[i];
  return f16_to_f32(w.d) * x->d * float(s);
}

// Q4_0: element i < 16 is the low nibble of qs[i], element i + 16 its high nibble; y = d·(q−8).
float block_dot(const BlockQ4_0& w, const BlockQ16_32* x) {
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    s += (int32_t(w.qs[i] & 0xF) - 8) * x->qs[i];
    s += (int32_t(w.qs[i] >> 4) - 8) * x->qs[i + 16];
  }
  return f16_to_f32(w.d) * x->d * float(s);
}

// Q4_1: y = d·q + m, so Σ y·x = d·dx·Σq·qx + m·dx·Σqx.
float block_dot(const BlockQ4_1& w, const BlockQ16_32* x) {
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    s += int32_t(w.qs[i] & 0xF) * x->qs[i];
    s += int32_t(w.qs[i] >> 4) * x->qs[i + 16];
  }
  return f16_to_f32(w.d) * x->d * float(s) + f16_to_f32(w.m) * x->d * float(x->isum);
}

// Q5_0/Q5_1: the fifth bit of element i is bit i of the little-endian u32 qh; bias subtracted
// from each 5-bit code (16 for Q5_0, 0 for Q5_1).
int32_t q5_dot(const uint8_t* qs, const uint8_t* qh_bytes, int bias, const int16_t* xq) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  int32_t s = 0;
  for (int i = 0; i < 16; ++i) {
    const int lo = ((qs[i] & 0xF) | int((qh >> i) & 1) << 4) - bias;
    const int hi = ((qs[i] >> 4) | int((qh >> (i + 16)) & 1) << 4) - bias;
    s += lo * xq[i] + hi * xq[i + 16];
  }
  return s;
}

float block_dot(const BlockQ5_0& w, const BlockQ16_32* x) {
  return f16_to_f32(w.d) * x->d * float(q5_dot(w.qs, w.qh, 16, x->qs));
}

float block_dot(const BlockQ5_1& w, const BlockQ16_32* x) {
  return f16_to_f32(w.d) * x->d * float(q5_dot(w.qs, w.qh, 0, x->qs)) +
         f16_to_f32(w.m) * x->d * float(x->isum);
}

// Q4_K/Q5_K: 8 sub-blocks of 32 (activation blocks x[j]) with 6-bit scale sc_j and min m_j:
// y = d·sc_j·q − dmin·m_j. Bytes qs[32·p + l] hold element 64p + l (low nibble) and
// 64p + 32 + l (high nibble); Q5_K's fifth bit of sub-block j, element l, is bit j of qh[l].
template <bool kFifthBit, typename Block>
float k4_dot(const Block& w, const uint8_t* qh, const BlockQ16_32* x) {
  const float d = f16_to_f32(w.d), dmin = f16_to_f32(w.dmin);
  float acc = 0.0f;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k_scale_min(j, w.scales, &sc, &m);
    const uint8_t* q = w.qs + 32 * (j / 2);
    const int shift = (j & 1) * 4;
    int32_t s = 0;
    for (int l = 0; l < 32; ++l) {
      int v = (q[l] >> shift) & 0xF;
      if constexpr (kFifthBit) v |= ((qh[l] >> j) & 1) << 4;
      s += v * x[j].qs[l];
    }
    acc += d * float(sc) * x[j].d * float(s) - dmin * float(m) * x[j].d * float(x[j].isum);
  }
  return acc;
}

float block_dot(const BlockQ4_K& w, const BlockQ16_32* x) { return k4_dot<false>(w, nullptr, x); }
float block_dot(const BlockQ5_K& w, const BlockQ16_32* x) { return k4_dot<true>(w, w.qh, x); }

// Q6_K: 16 groups of 16 with i8 scales; per half h (128 values) element 32c + l (c = 0..3) is
// (ql[l + 32·(c&1)] >> 4·(c>>1)) & 0xF | ((qh[l] >> 2c) & 3) << 4, minus 32. Activation block
// 4h + c covers the two groups 2c, 2c+1 of that half. Per group, |sc·Σ(q−32)·qx| ≤
// 128·32·32767·16 < 2³¹: exact in i32; the groups meet in f32.
float block_dot(const BlockQ6_K& w, const BlockQ16_32* x) {
  const float d = f16_to_f32(w.d);
  float acc = 0.0f;
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = w.ql + 64 * h;
    const uint8_t* qh = w.qh + 32 * h;
    const int8_t* sc = w.scales + 8 * h;
    for (int c = 0; c < 4; ++c) {
      const BlockQ16_32& xb = x[4 * h + c];
      for (int g = 0; g < 2; ++g) {
        int32_t s = 0;
        for (int l = 16 * g; l < 16 * g + 16; ++l) {
          const int v = ((ql[l + 32 * (c & 1)] >> (4 * (c >> 1))) & 0xF) | ((qh[l] >> (2 * c)) & 3) << 4;
          s += (v - 32) * xb.qs[l];
        }
        acc += d * xb.d * float(int32_t(sc[2 * c + g]) * s);
      }
    }
  }
  return acc;
}

// ---- rows ------------------------------------------------------------------------------

template <typename WBlock, int QK>
void row_dot_q(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out) {
  const auto* wb = reinterpret_cast<const WBlock*>(w);
  for (int t = 0; t < nt; ++t) {
    const auto* xb = static_cast<const BlockQ16_32*>(x[t]);
    float acc = 0.0f;
    for (int64_t b = 0; b < K / QK; ++b) acc += block_dot(wb[b], xb + b * (QK / 32));
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
    case DType::Q8_0: return {ActFormat::Q16_32, row_dot_q<BlockQ8_0, 32>};
    case DType::Q4_0: return {ActFormat::Q16_32, row_dot_q<BlockQ4_0, 32>};
    case DType::Q4_1: return {ActFormat::Q16_32, row_dot_q<BlockQ4_1, 32>};
    case DType::Q5_0: return {ActFormat::Q16_32, row_dot_q<BlockQ5_0, 32>};
    case DType::Q5_1: return {ActFormat::Q16_32, row_dot_q<BlockQ5_1, 32>};
    case DType::Q4_K: return {ActFormat::Q16_32, row_dot_q<BlockQ4_K, QK_K>};
    case DType::Q5_K: return {ActFormat::Q16_32, row_dot_q<BlockQ5_K, QK_K>};
    case DType::Q6_K: return {ActFormat::Q16_32, row_dot_q<BlockQ6_K, QK_K>};
    default: return {};
  }
}

}  // namespace tock
