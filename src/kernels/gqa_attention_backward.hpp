// Causal grouped-query self-attention for training (Ainslie et al. 2023, GQA): NH query heads
// share NKV key/value heads, query head h reading kv head h / (NH/NKV) as inference's
// attention_one does; NKV = NH is plain multi-head attention (attention_backward.hpp's fused-qkv
// version). q, k, v come in separate arrays because RoPE rotates q and k between the projection
// and the attention. scale = 1/√HS. The products are sgemm calls over blocks of 64 queries, each
// stopping at its block's last key, as attention_backward.cpp does for fused qkv; the _ref
// functions are the plain loops they are tested against. Not here: KV cache, other masks.
#pragma once
#include <cstdint>

namespace tock {

// q: (B, T, NH, HS); k, v: (B, T, NKV, HS); out: (B, T, NH·HS); att: (B, NH, T, T) the softmax
// weights kept for the backward (zero above the diagonal: position t sees t2 <= t).
void gqa_attention_forward(float* out, float* att, const float* q, const float* k,
                           const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                           int64_t HS);

// Accumulates (+=) into dq (B, T, NH, HS), dk and dv (B, T, NKV, HS) from dout (B, T, NH·HS).
// One task per (b, kv head): its keys and values collect from all query heads of the group, so
// no two threads write the same gradient. scratch: unused by the fast version (each thread
// holds one (T, T) block), (B, NKV, T) floats for the reference.
void gqa_attention_backward(float* dq, float* dk, float* dv, float* scratch, const float* dout,
                            const float* q, const float* k, const float* v, const float* att,
                            int64_t B, int64_t T, int64_t NH, int64_t NKV, int64_t HS);

// The plain loops, one query position at a time, single-threaded.
void gqa_attention_forward_ref(float* out, float* att, const float* q, const float* k,
                               const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                               int64_t HS);
void gqa_attention_backward_ref(float* dq, float* dk, float* dv, float* scratch,
                                const float* dout, const float* q, const float* k, const float* v,
                                const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                                int64_t HS);

}  // namespace tock
