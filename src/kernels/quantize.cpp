// Reference quantizers (ggml-quants.c quantize_row_*_ref). See quantize.hpp.
#include "kernels/quantize.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/block_formats.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"

namespace tock {
namespace {

void check_blocks(const char* type, int64_t n, int qk) {
  if (n < 0 || n % qk != 0)
    fail("quantize: ", type, " needs a multiple of ", qk, " elements per row, got ", n);
}

}  // namespace

bool can_quantize(DType t) {
  switch (t) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1:
      return true;
    default:
      return false;
  }
}

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
  check_blocks("Q8_0", n, QK8_0);
  auto* out = static_cast<BlockQ8_0*>(y);
  for (int64_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
    float amax = 0;
    for (int j = 0; j < QK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    // roundf: half away from zero, as ggml and gguf-py's np_roundf.
    for (int j = 0; j < QK8_0; ++j) out[b].qs[j] = int8_t(std::roundf(x[j] * id));
  }
}

void quantize_row_q4_0(const float* x, void* y, int64_t n) {
  check_blocks("Q4_0", n, QK4_0);
  auto* out = static_cast<BlockQ4_0*>(y);
  for (int64_t b = 0; b < n / QK4_0; ++b, x += QK4_0) {
    // The signed value of largest magnitude (the first one on ties) maps to -8, so the
    // asymmetric range [-8, 7] spends its extra level on the large side.
    float amax = 0, max = 0;
    for (int j = 0; j < QK4_0; ++j)
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    const float d = max / -8;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (int j = 0; j < QK4_0 / 2; ++j) {
      const float x0 = x[j] * id, x1 = x[QK4_0 / 2 + j] * id;
      const auto q0 = uint8_t(std::min(15, int(x0 + 8.5f)));
      const auto q1 = uint8_t(std::min(15, int(x1 + 8.5f)));
      out[b].qs[j] = uint8_t(q0 | q1 << 4);
    }
  }
}

void quantize_row_q4_1(const float* x, void* y, int64_t n) {
  check_blocks("Q4_1", n, QK4_1);
  auto* out = static_cast<BlockQ4_1*>(y);
  for (int64_t b = 0; b < n / QK4_1; ++b, x += QK4_1) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK4_1; ++j) {
      min = std::min(min, x[j]);
      max = std::max(max, x[j]);
    }
    const float d = (max - min) / 15;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    out[b].m = f32_to_f16(min);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      const float x0 = (x[j] - min) * id, x1 = (x[QK4_1 / 2 + j] - min) * id;
      const auto q0 = uint8_t(std::min(15, int(x0 + 0.5f)));
      const auto q1 = uint8_t(std::min(15, int(x1 + 0.5f)));
      out[b].qs[j] = uint8_t(q0 | q1 << 4);
    }
  }
}

void quantize_row_f16(const float* x, void* y, int64_t n) {
  auto* out = static_cast<uint16_t*>(y);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(x[i]);
}

void quantize_row_bf16(const float* x, void* y, int64_t n) {
  auto* out = static_cast<uint16_t*>(y);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(x[i]);
}

void quantize_row(DType t, const float* x, void* y, int64_t n) {
  switch (t) {
    case DType::F32: std::memcpy(y, x, size_t(n) * sizeof(float)); return;
    case DType::F16: quantize_row_f16(x, y, n); return;
    case DType::BF16: quantize_row_bf16(x, y, n); return;
    case DType::Q8_0: quantize_row_q8_0(x, y, n); return;
    case DType::Q4_0: quantize_row_q4_0(x, y, n); return;
    case DType::Q4_1: quantize_row_q4_1(x, y, n); return;
    default: fail("quantize: no quantizer for type ", dtype_name(t), " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
  }
}

}  // namespace tock
