// Scaled dot-product attention of one query token over a sequence's cached keys and values.
#pragma once
#include <cstdint>

namespace tock {

// q: (NH, HS) the token's query heads; K, V: (n_kv, NKV·HS) rows of cached keys/values (row stride
// NKV·HS), positions 0..n_kv-1 (the causal window: the token itself is the last one).
// Grouped-query attention: query head h reads kv head h / (NH / NKV).
// out: (NH, HS) = Σ_j softmax_j(q·K_j · scale) V_j.  scratch: at least n_kv floats.
// probs_out (optional): (NH, n_kv) the attention weights, for the clock's attention view.
void attention_one(const float* q, const float* K, const float* V, int64_t n_kv, int64_t NH,
                   int64_t NKV, int64_t HS, float scale, float* out, float* scratch,
                   float* probs_out = nullptr);

}  // namespace tock
