// Scalar reference dequantization, transcribed from ggml-quants.c (dequantize_row_*): same
// order of operations, same float intermediates, so the results match ggml bit for bit.
// Block layouts: core/block_formats.hpp. y has QK (32 or 256) floats per block.
#include "kernels/dequant.hpp"

#include <cstring>

#include "core/block_formats.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"

namespace tock {
namespace {

// Plain element types.
void deq_f32(const uint8_t* x, float* y, int64_t n) { std::memcpy(y, x, size_t(n) * 4); }

void deq_f16(const uint8_t* x, float* y, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    uint16_t h;
    std::memcpy(&h, x + 2 * k, 2);
    y[k] = f16_to_f32(h);
  }
}

void deq_bf16(const uint8_t* x, float* y, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    uint16_t b;
    std::memcpy(&b, x + 2 * k, 2);
    y[k] = bf16_to_f32(b);
  }
}

// 32-element blocks. Nibble order: low nibbles are elements 0..15, high nibbles 16..31.
void deq_q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += QK4_0) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < QK4_0 / 2; ++j) {
      const int x0 = (x[i].qs[j] & 0x0F) - 8;
      const int x1 = (x[i].qs[j] >> 4) - 8;
      y[j] = x0 * d;
      y[j + QK4_0 / 2] = x1 * d;
    }
  }
}

void deq_q4_1(const BlockQ4_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += QK4_1) {
    const float d = f16_to_f32(x[i].d);
    const float m = f16_to_f32(x[i].m);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      const int x0 = x[i].qs[j] & 0x0F;
      const int x1 = x[i].qs[j] >> 4;
      y[j] = x0 * d + m;
      y[j + QK4_1 / 2] = x1 * d + m;
    }
  }
}

// Q5: the fifth bit of element j is bit j of the 32-bit qh.
void deq_q5_0(const BlockQ5_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += QK5_0) {
    const float d = f16_to_f32(x[i].d);
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, sizeof(qh));
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const uint8_t xh_0 = uint8_t(((qh >> (j + 0)) << 4) & 0x10);
      const uint8_t xh_1 = uint8_t(((qh >> (j + 12))) & 0x10);
      const int32_t x0 = ((x[i].qs[j] & 0x0F) | xh_0) - 16;
      const int32_t x1 = ((x[i].qs[j] >> 4) | xh_1) - 16;
      y[j] = x0 * d;
      y[j + QK5_0 / 2] = x1 * d;
    }
  }
}

void deq_q5_1(const BlockQ5_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += QK5_1) {
    const float d = f16_to_f32(x[i].d);
    const float m = f16_to_f32(x[i].m);
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, sizeof(qh));
    for (int j = 0; j < QK5_1 / 2; ++j) {
      const uint8_t xh_0 = uint8_t(((qh >> (j + 0)) << 4) & 0x10);
      const uint8_t xh_1 = uint8_t(((qh >> (j + 12))) & 0x10);
      const int x0 = (x[i].qs[j] & 0x0F) | xh_0;
      const int x1 = (x[i].qs[j] >> 4) | xh_1;
      y[j] = x0 * d + m;
      y[j + QK5_1 / 2] = x1 * d + m;
    }
  }
}

void deq_q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += QK8_0) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < QK8_0; ++j) y[j] = x[i].qs[j] * d;
  }
}

// 256-element super-blocks (K-quants).
void deq_q2_k(const BlockQ2_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    const float min = f16_to_f32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    int is = 0;
    for (int n = 0; n < QK_K; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        uint8_t sc = x[i].scales[is++];
        float dl = d * (sc & 0xF), ml = min * (sc >> 4);
        for (int l = 0; l < 16; ++l) *y++ = dl * int8_t((q[l] >> shift) & 3) - ml;
        sc = x[i].scales[is++];
        dl = d * (sc & 0xF), ml = min * (sc >> 4);
        for (int l = 0; l < 16; ++l) *y++ = dl * int8_t((q[l + 16] >> shift) & 3) - ml;
        shift += 2;
      }
      q += 32;
    }
  }
}

// Q3_K's 16 six-bit scales: low 4 bits in bytes 0..7 (two per byte), high 2 bits in 8..11.
int q3_k_scale(const uint8_t* s, int j) {
  const int lo = (s[j % 8] >> (4 * (j / 8))) & 0xF;
  const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return int8_t(lo | (hi << 4)) - 32;
}

void deq_q3_k(const BlockQ3_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d_all = f16_to_f32(x[i].d);
    const uint8_t* q = x[i].qs;
    const uint8_t* hm = x[i].hmask;
    uint8_t m = 1;
    int is = 0;
    for (int n = 0; n < QK_K; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        float dl = d_all * q3_k_scale(x[i].scales, is++);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * (int8_t((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
        dl = d_all * q3_k_scale(x[i].scales, is++);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * (int8_t((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
        shift += 2;
        m = uint8_t(m << 1);
      }
      q += 32;
    }
  }
}

void deq_q4_k(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* q = x[i].qs;
    const float d = f16_to_f32(x[i].d);
    const float min = f16_to_f32(x[i].dmin);
    int is = 0;
    uint8_t sc, m;
    for (int j = 0; j < QK_K; j += 64) {
      k_scale_min(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      k_scale_min(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
      is += 2;
    }
  }
}

void deq_q5_k(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    const float d = f16_to_f32(x[i].d);
    const float min = f16_to_f32(x[i].dmin);
    int is = 0;
    uint8_t sc, m;
    unsigned u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K; j += 64) {
      k_scale_min(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      k_scale_min(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

void deq_q6_k(const BlockQ6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int n = 0; n < QK_K; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int8_t q1 = int8_t((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int8_t q2 = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int8_t q3 = int8_t((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int8_t q4 = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

template <typename Block>
const Block* blocks(const void* x) {
  return static_cast<const Block*>(x);  // packed structs: alignment 1, any address is fine
}

}  // namespace

bool can_dequantize(DType t) {
  switch (t) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      return true;
    default:
      return false;
  }
}

void dequantize_row(DType t, const void* x, float* y, int64_t n) {
  const DTypeInfo* info = dtype_info(uint32_t(t));
  if (!info || !can_dequantize(t))
    fail("dequantize: type ", info ? std::string(info->name) : cat("#", uint32_t(t)), " is not supported");
  if (n < 0 || n % info->block_size != 0)
    fail("dequantize: ", n, " elements are not a whole number of ", info->name, " blocks of ", info->block_size);
  if (n == 0) return;  // y may be null for an empty tensor
  const int64_t nb = n / info->block_size;
  const auto* b = static_cast<const uint8_t*>(x);
  switch (t) {
    case DType::F32: return deq_f32(b, y, n);
    case DType::F16: return deq_f16(b, y, n);
    case DType::BF16: return deq_bf16(b, y, n);
    case DType::Q4_0: return deq_q4_0(blocks<BlockQ4_0>(x), y, nb);
    case DType::Q4_1: return deq_q4_1(blocks<BlockQ4_1>(x), y, nb);
    case DType::Q5_0: return deq_q5_0(blocks<BlockQ5_0>(x), y, nb);
    case DType::Q5_1: return deq_q5_1(blocks<BlockQ5_1>(x), y, nb);
    case DType::Q8_0: return deq_q8_0(blocks<BlockQ8_0>(x), y, nb);
    case DType::Q2_K: return deq_q2_k(blocks<BlockQ2_K>(x), y, nb);
    case DType::Q3_K: return deq_q3_k(blocks<BlockQ3_K>(x), y, nb);
    case DType::Q4_K: return deq_q4_k(blocks<BlockQ4_K>(x), y, nb);
    case DType::Q5_K: return deq_q5_k(blocks<BlockQ5_K>(x), y, nb);
    case DType::Q6_K: return deq_q6_k(blocks<BlockQ6_K>(x), y, nb);
    default: break;
  }
}

std::vector<float> dequantize(const TensorView& t) {
  const DTypeInfo* info = dtype_info(uint32_t(t.type));
  const std::string type_name = info ? std::string(info->name) : cat("#", uint32_t(t.type));
  if (!info || !can_dequantize(t.type))
    fail("dequantize: tensor '", t.name, "' has type ", type_name, ", which Tock cannot dequantize yet");
  const int64_t n = t.n_elements();
  if (n % info->block_size != 0 || size_t(n / info->block_size) * info->block_bytes != t.nbytes)
    fail("dequantize: tensor '", t.name, "' (", type_name, ", ", n, " elements) holds ", t.nbytes,
         " bytes, which does not match its shape");
  std::vector<float> y(static_cast<size_t>(n));
  dequantize_row(t.type, t.data, y.data(), n);
  return y;
}

}  // namespace tock
