// Internal to attention: the per-ISA block kernels the flash-attention driver
// (attention_flash.cpp) dispatches to. One call folds a range of key/value positions into the
// online-softmax state of a few query rows (Milakov & Gimelshein 2018; FlashAttention, Dao 2022):
//   m_r = running max score, l_r = Σ e^(s−m_r), acc_r = Σ e^(s−m_r)·V_j.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"

namespace tock {

// Positions per inner block: its keys/values (converted to f32) and scores stay in L1.
constexpr int64_t kAttnBlock = 32;

struct AttnRows {
  const float* q;        // (R, HS) query rows, already multiplied by the softmax scale
  const int64_t* limit;  // (R) row r sees positions j < limit[r] (causal window)
  int R;
  float* m;    // (R) running max; -inf before the first position
  float* l;    // (R) running Σ e^(s−m)
  float* acc;  // (R, HS) running Σ e^(s−m)·V_j
};

struct AttnKv {
  const void* k;   // position j's key for this kv head at k + j·stride elements
  const void* v;
  DType type;      // F32 or F16
  int64_t stride;  // elements between positions
  int64_t head_stride;  // elements between kv heads (attn_heads_*: head g's vectors at + g·head_stride)
};

// kv head g of kv (which points at head 0).
inline AttnKv attn_kv_head(const AttnKv& kv, int64_t g) {
  const int64_t bytes = g * kv.head_stride * (kv.type == DType::F16 ? 2 : 4);
  return {static_cast<const char*>(kv.k) + bytes, static_cast<const char*>(kv.v) + bytes, kv.type, kv.stride,
          kv.head_stride};
}

// Folds positions [j0, j1) into rows' state. HS: head size.
using AttnBlockFn = void (*)(const AttnRows& rows, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS);

AttnBlockFn attn_block_scalar();
AttnBlockFn attn_block_avx2();  // nullptr-free: falls back to scalar where HS % 8 != 0 inside
// Few rows (≤ kAttnFewRows, e.g. decode's GQA group), HS % 8 == 0: reads the cache in place.
// attn_block_avx2 hands such calls to it.
constexpr int kAttnFewRows = 8;
AttnBlockFn attn_block_avx2_rows();

// Folds positions [j0, j1) of ng kv heads: rows[g] are kv head g's rows, its keys and values at
// attn_kv_head(kv, g) (decode: a thread's range of positions, every head).
using AttnHeadsFn = void (*)(const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS);
// The plain way: each head's whole range in turn through one block kernel.
void attn_heads_each(AttnBlockFn block, const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0,
                     int64_t j1, int64_t HS);
// Block by block, every head in turn, so the cache rows stream in order, whole, with software
// prefetch ahead; falls back to attn_heads_each(attn_block_avx2()) for many rows or HS % 8 != 0.
AttnHeadsFn attn_heads_avx2();

}  // namespace tock
