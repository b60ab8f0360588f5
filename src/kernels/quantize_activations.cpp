#include "kernels/quantize_activations.hpp"

#include <cmath>

namespace tock {
namespace {

// Quantizes n values with one scale so that the largest magnitude maps to ±127.
// Returns the scale d; q[i] = round(x[i]/d).
float quantize_block(const float* x, int8_t* q, int n) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    amax = a > amax ? a : amax;
  }
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int i = 0; i < n; ++i) {  // half away from zero; |v| ≤ 127.5 so the int8 cast is safe
    const float v = x[i] * id;
    q[i] = int8_t(int(v + (v >= 0.0f ? 0.5f : -0.5f)));
  }
  return d;
}

}  // namespace

void quantize_row_q8_32(const float* x, BlockQ8_32* out, int64_t K) {
  for (int64_t b = 0; b < K / 32; ++b) {
    BlockQ8_32& blk = out[b];
    blk.d = quantize_block(x + b * 32, blk.qs, 32);
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += blk.qs[i];
    blk.isum = s;
  }
}

void quantize_row_q8_k(const float* x, BlockQ8_K* out, int64_t K) {
  for (int64_t b = 0; b < K / QK_K; ++b) {
    BlockQ8_K& blk = out[b];
    blk.d = quantize_block(x + b * QK_K, blk.qs, QK_K);
    for (int g = 0; g < QK_K / 16; ++g) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += blk.qs[g * 16 + i];
      blk.bsums[g] = int16_t(s);
    }
  }
}

}  // namespace tock
