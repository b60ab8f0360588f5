// LayerNorm for training (llm.c's layernorm_forward/backward): the forward keeps each row's
// mean and 1/std for the backward. Inference uses norm.hpp's layer_norm. N = B·T rows.
// Not here: RMSNorm's backward (later, with the Llama-style trainer).
#pragma once
#include <cstdint>

namespace tock {

// out = (inp - mean) * rstd * weight + bias.  out, inp: (N, C); mean, rstd: (N); weight, bias: (C).
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps);

// Accumulates (+=) into dinp (N, C), dweight (C), dbias (C) from dout (N, C).
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C);

}  // namespace tock
