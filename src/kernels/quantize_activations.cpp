#include "kernels/quantize_activations.hpp"

#include <cmath>

namespace tock {

void quantize_row_q16_32(const float* x, BlockQ16_32* out, int64_t K) {
  for (int64_t b = 0; b < K / 32; ++b) {
    const float* xb = x + b * 32;
    BlockQ16_32& blk = out[b];
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) {
      const float a = std::fabs(xb[i]);
      amax = a > amax ? a : amax;
    }
    const float d = amax / 32767.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) {
      // Half away from zero. |x·id| ≤ 32767·(1 + a few ulps) < 32767.5, so q already fits in
      // int16; the clamp keeps that true whatever the rounding of 1/d.
      const float v = xb[i] * id;
      int q = int(v + (v >= 0.0f ? 0.5f : -0.5f));
      q = q > 32767 ? 32767 : (q < -32767 ? -32767 : q);
      blk.qs[i] = int16_t(q);
      s += q;
    }
    blk.d = d;
    blk.isum = s;
  }
}

}  // namespace tock
