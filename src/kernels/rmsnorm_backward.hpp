// RMSNorm for training (Zhang & Sennrich 2019): the forward keeps each row's 1/rms for the
// backward. Inference uses norm.hpp's rms_norm (same formula). N = B·T rows, C channels.
// Not here: LayerNorm (layernorm_backward.hpp).
#pragma once
#include <cstdint>

namespace tock {

// out = inp · rstd · weight, rstd = 1/√(mean(inp²) + eps).  out, inp: (N, C); rstd: (N);
// weight: (C). Sums of squares in double, as norm.hpp's rms_norm.
void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                     int64_t C, float eps);

// Accumulates (+=) into dinp (N, C) and dweight (C) from dout (N, C). With x̂ = inp·rstd:
//   dweight[c] += Σ_n dout·x̂;  dinp = rstd · (dout·w − x̂ · mean_c(dout·w·x̂)).
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                      const float* weight, const float* rstd, int64_t N, int64_t C);
// The plain single-threaded loops the fast version is tested against.
void rmsnorm_backward_ref(float* dinp, float* dweight, const float* dout, const float* inp,
                          const float* weight, const float* rstd, int64_t N, int64_t C);

}  // namespace tock
