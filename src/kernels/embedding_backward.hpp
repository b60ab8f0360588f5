// GPT-2's input encoder for training: token embedding plus learned position embedding.
#pragma once
#include <cstdint>

namespace tock {

// out[b,t,:] = wte[inp[b,t],:] + wpe[t,:].  out: (B,T,C); inp: (B,T) token ids (checked by the
// caller to be < V); wte: (V,C); wpe: (maxT,C), T <= maxT.
void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int64_t B,
                     int64_t T, int64_t C);
// Accumulates (+=) dout (B,T,C) into dwte (V,C) and dwpe (maxT,C).
void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int64_t B,
                      int64_t T, int64_t C);

}  // namespace tock
