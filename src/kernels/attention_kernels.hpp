// Internal to attention: the per-ISA block kernels the flash-attention driver
// (attention_flash.cpp) dispatches to. One call folds a range of key/value positions into the
// online-softmax state of a few query rows (Milakov & Gimelshein 2018; FlashAttention, Dao 2022):
//   m_r = running max score, l_r = Σ e^(s−m_r), acc_r = Σ e^(s−m_r)·V_j.
// Every fast kernel here folds a query row's positions the same canonical way, so the row's
// output has the same bits whichever kernel, tile, split or thread computed it (a prompt's last
// token alone after a cached prefix = the same token inside a prefill tile):
//   blocks of kAttnBlock positions at fixed absolute positions (block k = [k·64, k·64+64));
//   score s_j = q·K_j: one 8-lane FMA chain over the head, lanes summed as hsum_pairs;
//   the block's own max m_b = max s_j, p_j = e^(s_j − m_b) (exp_nonpositive);
//   l_b = Σ p_j in 8 lanes (lane = position mod 8 in the block), lanes summed as hsum;
//   a_b = Σ_j p_j·V_j, one FMA chain per element in position order;
//   then the block folds into the running state with attn_fold (below); out = acc · (1/l).
// The scalar kernel (the reference) folds its own way: close, not bit-equal.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"

namespace tock {

// Positions per block: the scores of a block stay in L1; longer blocks spread the online
// softmax's per-block work (max, rescale, the accumulators' loads and stores) over more positions
// (decode at depth 1024: ~9% less CPU per token than 32). Calls start at a multiple of it.
constexpr int64_t kAttnBlock = 64;

struct AttnRows {
  const float* q;        // (R, HS) query rows, already multiplied by the softmax scale
  const int64_t* limit;  // (R) row r sees positions j < limit[r] (causal window)
  int R;
  float* m;    // (R) running max; -inf before the first position
  float* l;    // (R) running Σ e^(s−m)
  float* acc;  // (R, HS) running Σ e^(s−m)·V_j
  // Heads functions only: 0 = every block folds into the one state above; else block k of the
  // call (positions j0 + k·kAttnBlock ..) folds into its own state at m, l, acc + k·slot_stride,
  // which attn_merge_* then fold in order (the decode split's partials, same bits as one pass).
  // Such states start empty with m = −inf and l = 0; their acc may hold anything.
  int64_t slot_stride = 0;
};

// Folding a block's state (m_b, l_b, a_b) into a row's running state (M, L, acc):
//   M' = max(M, m_b), c_old = e^(M − M'), c_new = e^(m_b − M') (exactly 1 for the larger max,
//   0 for an empty state), L' = fma(l_b, c_new, L·c_old), acc' = fma(a_b, c_new, acc·c_old).
// Every kernel and the merge of split partials use exactly these operations.
struct AttnFold {
  float m, c_old, c_new;
};
inline AttnFold attn_fold(float M, float m_b) {
  const float mx = M > m_b ? M : m_b;
  return {mx, M == -INFINITY ? 0.0f : M == mx ? 1.0f : std::exp(M - mx), m_b == mx ? 1.0f : std::exp(m_b - mx)};
}
inline float attn_fold_sum(float L, float l_b, const AttnFold& f) { return std::fma(l_b, f.c_new, L * f.c_old); }

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

// Folds positions [j0, j1) into rows' state; j0 a multiple of kAttnBlock. HS: head size. An
// empty state's acc must be zeros for the scalar kernel (the AVX2 ones never read it).
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
// The plain way: each head's whole range in turn through one block kernel (block by block when
// the rows have a slot_stride).
void attn_heads_each(AttnBlockFn block, const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0,
                     int64_t j1, int64_t HS);
// Block by block, every head in turn, so the cache rows stream in order, whole, with software
// prefetch ahead; falls back to attn_heads_each(attn_block_avx2()) for many rows or HS % 8 != 0.
AttnHeadsFn attn_heads_avx2();

// Folds one row's block states k0 .. n−1 (k0 ≥ 1) into its state 0, in order, with attn_fold;
// states a row saw no position of (m = −inf) are skipped; state 0 is never empty. m, l, acc: the
// row's entries in state 0; state k's at + k·stride.
using AttnMergeFn = void (*)(float* m, float* l, float* acc, int64_t k0, int64_t n, int64_t stride, int64_t HS);
AttnMergeFn attn_merge_scalar();
AttnMergeFn attn_merge_avx2();  // the same bits, 8 elements at a time

}  // namespace tock
