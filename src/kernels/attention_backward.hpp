// Causal multi-head self-attention for training (llm.c's attention_forward/backward), over
// the fused qkv rows of a whole batch. HS = C / NH; scale = 1/√HS. Thin wrappers over
// gqa_attention_backward.hpp with NKV = NH and row stride 3C (one implementation of the sgemm
// blocks and of the reference loops for both GPT-2 and llama training).
// Not here: KV cache, RoPE (inference: attention.hpp, rope.hpp).
#pragma once
#include <cstdint>

namespace tock {

// inp: (B, T, 3C) = per position [q (C) | k (C) | v (C)], head h at columns h·HS..h·HS+HS;
// out: (B, T, C); att: (B, NH, T, T) the softmax weights, kept for the backward (zero above
// the diagonal: position t sees t2 <= t).
void attention_forward(float* out, float* att, const float* inp, int64_t B, int64_t T, int64_t C,
                       int64_t NH);

// Accumulates (+=) into dinp (B, T, 3C) from dout (B, T, C). scratch: (B, NH, T) floats, no
// longer used (each thread allocates one (T, T) block for the scores' gradient per call); kept
// so callers need not change.
void attention_backward(float* dinp, float* scratch, const float* dout, const float* inp,
                        const float* att, int64_t B, int64_t T, int64_t C, int64_t NH);

// The plain loops (one query position at a time, single-threaded), for tests. scratch: (B, NH,
// T) floats.
void attention_forward_ref(float* out, float* att, const float* inp, int64_t B, int64_t T,
                           int64_t C, int64_t NH);
void attention_backward_ref(float* dinp, float* scratch, const float* dout, const float* inp,
                            const float* att, int64_t B, int64_t T, int64_t C, int64_t NH);

}  // namespace tock
