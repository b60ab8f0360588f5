// Scaled dot-product attention of query tokens over a sequence's cached keys and values.
//   attention_one:    the plain scalar reference, one query token, f32 cache.
//   attention_causal: the fast path, T consecutive tokens of one sequence (decode: T = 1),
//                     flash-attention style (online softmax over blocks of positions, no T×T
//                     score matrix), f32 or f16 cache, threaded, ISA chosen at run time.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"

namespace tock {

// q: (NH, HS) the token's query heads; K, V: (n_kv, NKV·HS) rows of cached keys/values (row stride
// NKV·HS), positions 0..n_kv-1 (the causal window: the token itself is the last one).
// Grouped-query attention: query head h reads kv head h / (NH / NKV).
// out: (NH, HS) = Σ_j softmax_j(q·K_j · scale) V_j.  scratch: at least n_kv floats.
// probs_out (optional): (NH, n_kv) the attention weights, for the clock's attention view.
void attention_one(const float* q, const float* K, const float* V, int64_t n_kv, int64_t NH,
                   int64_t NKV, int64_t HS, float scale, float* out, float* scratch,
                   float* probs_out = nullptr);

// A sequence's cached keys and values: position j's vector of kv head g (HS elements) starts at
// element j·stride + g·head_stride of k and of v. type: F32 or F16.
//   rows side by side (head_stride 0 = HS): stride NKV·HS, each position one row of all heads;
//   head-major: stride HS, head_stride = capacity·HS, each head's positions one contiguous run.
struct KvRows {
  const void* k = nullptr;
  const void* v = nullptr;
  DType type = DType::F32;
  int64_t stride = 0;
  int64_t head_stride = 0;
};

// q: (T, NH, HS) queries of T tokens at positions p0 .. p0+T−1 of one sequence; kv holds that
// sequence's positions 0 .. p0+T−1 (the tokens' own keys and values included). Token t attends
// causally to positions 0 .. p0+t. out: (T, NH, HS). GQA as in attention_one.
// probs_last (optional): (NH, p0+T) the last token's attention weights (the clock's view).
void attention_causal(const float* q, int64_t T, int64_t p0, const KvRows& kv, int64_t NH,
                      int64_t NKV, int64_t HS, float scale, float* out, float* probs_last = nullptr);
// The same at a chosen ISA level (at most detected_isa(), else Error); Isa::Scalar is the
// block kernels' plain reference. attention_causal is attention_causal_isa(active_isa(), ...).
void attention_causal_isa(Isa isa, const float* q, int64_t T, int64_t p0, const KvRows& kv,
                          int64_t NH, int64_t NKV, int64_t HS, float scale, float* out,
                          float* probs_last = nullptr);

}  // namespace tock
