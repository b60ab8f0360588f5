// Causal grouped-query self-attention for training (Ainslie et al. 2023, GQA): NH query heads
// share NKV key/value heads, query head h reading kv head h / (NH/NKV) as inference's
// attention_one does; NKV = NH is plain multi-head attention. q, k, v are separate pointers with
// their own row strides, so the same kernels serve llama (RoPE rotates q and k between the
// projection and the attention, into packed arrays) and GPT-2's fused qkv rows
// (attention_backward.hpp's wrappers). scale = 1/√HS. The products are sgemm calls over blocks of
// 64 queries, each stopping at its block's last key; the _ref functions are the plain loops they
// are tested against. Not here: KV cache, other masks.
#pragma once
#include <cstdint>

namespace tock {

// Floats from one position's row to the next, for q (and dq) and for k, v (and dk, dv); 0 means
// packed (NH·HS and NKV·HS). A fused (B, T, 3C) qkv buffer is q = inp, k = inp + C, v = inp + 2C
// with both strides 3C. out and dout are always packed (B, T, NH·HS).
struct QkvStrides {
  int64_t q = 0, kv = 0;
};

// q: (B, T, NH, HS); k, v: (B, T, NKV, HS); out: (B, T, NH·HS); att: (B, NH, T, T) the softmax
// weights kept for the backward (zero above the diagonal: position t sees t2 <= t).
void gqa_attention_forward(float* out, float* att, const float* q, const float* k,
                           const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                           int64_t HS, QkvStrides ld = {});

// Accumulates (+=) into dq (B, T, NH, HS), dk and dv (B, T, NKV, HS) from dout (B, T, NH·HS);
// dq has q's stride, dk and dv k's. One task per (b, kv head): its keys and values collect from
// all query heads of the group, so no two threads write the same gradient and the summation
// order is independent of the thread count. scratch: unused by the fast version (each thread
// holds one (T, T) block), (B, NKV, T) floats for the reference.
void gqa_attention_backward(float* dq, float* dk, float* dv, float* scratch, const float* dout,
                            const float* q, const float* k, const float* v, const float* att,
                            int64_t B, int64_t T, int64_t NH, int64_t NKV, int64_t HS,
                            QkvStrides ld = {});

// The plain loops, one query position at a time, single-threaded.
void gqa_attention_forward_ref(float* out, float* att, const float* q, const float* k,
                               const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                               int64_t HS, QkvStrides ld = {});
void gqa_attention_backward_ref(float* dq, float* dk, float* dv, float* scratch,
                                const float* dout, const float* q, const float* k, const float* v,
                                const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                                int64_t HS, QkvStrides ld = {});

}  // namespace tock
