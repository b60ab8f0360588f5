#include "kernels/quantize_activations.hpp"

#include <cmath>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"

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

// Reused between calls on the same thread: no allocation once it has grown.
thread_local std::vector<BlockQ16_32> t_rows;

const BlockQ16_32* quantize_rows_q16_32(const float* x, int64_t T, int64_t K) {
  const size_t nb = size_t(K / 32);
  if (t_rows.size() < nb * size_t(T)) t_rows.resize(nb * size_t(T));
  BlockQ16_32* base = t_rows.data();
  static const auto row = active_isa() >= Isa::Avx2 ? quantize_row_q16_32_avx2 : quantize_row_q16_32;
  auto quantize = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) row(x + t * K, base + size_t(t) * nb, K);
  };
  if (T * K >= 16384)
    parallel_for(T, quantize);
  else
    quantize(0, T);
  return base;
}

}  // namespace tock
