#include "kernels/matmul_backward.hpp"

#include <algorithm>
#include <cstring>

#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"

namespace tock {

// ---- reference -------------------------------------------------------------------------

void matmul_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int64_t N, int64_t C, int64_t OC) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < OC; ++o) {
      float acc = bias ? bias[o] : 0.0f;
      for (int64_t i = 0; i < C; ++i) acc += inp[n * C + i] * weight[o * C + i];
      out[n * OC + o] = acc;
    }
  }
}

void matmul_backward_ref(float* dinp, float* dweight, float* dbias, const float* dout,
                         const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < OC; ++o) {
      const float d = dout[n * OC + o];
      for (int64_t i = 0; i < C; ++i) {
        dinp[n * C + i] += weight[o * C + i] * d;
        dweight[o * C + i] += inp[n * C + i] * d;
      }
      if (dbias) dbias[o] += d;
    }
  }
}

// ---- fast: on sgemm --------------------------------------------------------------------

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t N, int64_t C, int64_t OC) {
  if (bias) {
    parallel_for(N, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) std::memcpy(out + n * OC, bias, size_t(OC) * sizeof(float));
    }, 16);
  }
  // out (N, OC) (+)= inp (N, C) · weight (OC, C)ᵀ, on top of the bias rows if any.
  sgemm(Op::NoTrans, Op::Trans, N, OC, C, inp, C, weight, C, out, OC, bias != nullptr);
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC) {
  // dinp (N, C) += dout (N, OC) · weight (OC, C).
  sgemm(Op::NoTrans, Op::NoTrans, N, C, OC, dout, OC, weight, C, dinp, C, true);
  // dweight (OC, C) += doutᵀ (OC, N) · inp (N, C); null for a frozen weight (LoRA).
  if (dweight) sgemm(Op::Trans, Op::NoTrans, OC, C, N, dout, OC, inp, C, dweight, C, true);
  if (!dbias) return;
  // dbias[o] += Σ_n dout[n,o]: threads split the outputs, each sum keeps the order of n. The
  // running sums of a 64-wide band stay in a local array (registers, once vectorised) rather
  // than going through dbias on every row.
  constexpr int64_t kBand = 64;
  parallel_for(OC, [&](int64_t o0, int64_t o1) {
    for (int64_t b0 = o0; b0 < o1; b0 += kBand) {
      const int64_t w = std::min(kBand, o1 - b0);
      float acc[kBand] = {};
      for (int64_t o = 0; o < w; ++o) acc[o] = dbias[b0 + o];
      if (w == kBand) {
        for (int64_t n = 0; n < N; ++n) {
          const float* d = dout + n * OC + b0;
          for (int64_t o = 0; o < kBand; ++o) acc[o] += d[o];
        }
      } else {
        for (int64_t n = 0; n < N; ++n) {
          const float* d = dout + n * OC + b0;
          for (int64_t o = 0; o < w; ++o) acc[o] += d[o];
        }
      }
      for (int64_t o = 0; o < w; ++o) dbias[b0 + o] = acc[o];
    }
  }, kBand);
}

}  // namespace tock
