// The AVX2 (+FMA, F16C) online-softmax block kernel for a few query rows (decode: the query
// heads of one token that share a kv head, GQA). It reads the cache in place, each key and value
// vector converted once (F16C) and used for every row in registers: per block of kAttnBlock
// positions, scores are 4 positions × RG rows of accumulators over the head (one transpose-add
// per 4 positions), and the value sum keeps RG rows × CP 8-wide slices of the output in
// registers, so every FMA chain is independent of the others (the FMA latency is hidden).
// Not here: many rows (prefill tiles), where converting a block to f32 once and reusing it for
// all rows is cheaper (attention_avx2.cpp).
// Arithmetic: attention_kernels.hpp's canonical fold, the same bits as attention_avx2.cpp for a
// row (whatever rows share the call); attention_scalar.cpp's up to summation order and exp.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/attention_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/attention_fold_avx2.hpp"
#include "kernels/exp_avx2.hpp"
#include "kernels/hsum_avx2.hpp"

namespace tock {
namespace {

// 8 consecutive elements of the cache at element i, as f32.
template <bool F16>
inline __m256 load8(const void* base, int64_t i) {
  if constexpr (F16)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i)));
  else
    return _mm256_loadu_ps(static_cast<const float*>(base) + i);
}

// Software prefetch distance in positions. Decode at depth streams megabytes of cache that the
// weights evicted since the last token: one hint per cache line, issued as the line kPrefetchAhead
// positions earlier is used, keeps misses in flight all along instead of in bursts (32: CPU per
// token at depth 1024, 1 thread, 3.5-3.9 ms vs 3.8-4.3 at 16 and 4.5-5.0 without).
constexpr int64_t kPrefetchAhead = 32;

// Asks for the cache lines of elements [i, i + n) (a hint: no effect on results).
template <bool F16>
inline void prefetch_span(const void* base, int64_t i, int64_t n) {
  constexpr int64_t elem = F16 ? 2 : 4;
  const char* p = static_cast<const char*>(base) + i * elem;
  for (int64_t b = 0; b < n * elem; b += 64) __builtin_prefetch(p + b);
  __builtin_prefetch(p + n * elem - 1);
}

// s[r·kAttnBlock + i] = q_r · K_(j+i) for i < NP (NP = 4 or 1) positions from j, RG rows.
template <int RG, int NP, bool F16>
inline void scores(const float* q, const AttnKv& kv, int64_t j, int64_t HS, float* s, int64_t i, int64_t pf_end) {
  if (j + NP + kPrefetchAhead <= pf_end)
    for (int p = 0; p < NP; ++p) prefetch_span<F16>(kv.k, (j + p + kPrefetchAhead) * kv.stride, HS);
  __m256 a[RG][NP];
  for (int r = 0; r < RG; ++r)
    for (int p = 0; p < NP; ++p) a[r][p] = _mm256_setzero_ps();
  for (int64_t d = 0; d < HS; d += 8) {
    __m256 qv[RG];  // in registers for the NP positions (not reloaded per FMA: loads are the limit)
    for (int r = 0; r < RG; ++r) qv[r] = _mm256_loadu_ps(q + r * HS + d);
    for (int p = 0; p < NP; ++p) {
      const __m256 k = load8<F16>(kv.k, (j + p) * kv.stride + d);
      for (int r = 0; r < RG; ++r) a[r][p] = _mm256_fmadd_ps(k, qv[r], a[r][p]);
    }
  }
  for (int r = 0; r < RG; ++r) {
    if constexpr (NP == 4) {
      // Lane p of the result = the sum of a[r][p]'s lanes.
      const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a[r][0], a[r][1]), _mm256_hadd_ps(a[r][2], a[r][3]));
      _mm_storeu_ps(s + r * kAttnBlock + i, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
    } else {
      s[r * kAttnBlock + i] = hsum_pairs(a[r][0]);  // rounds as the transpose above
    }
  }
}

// acc_r[c0·8 .. (c0+CP)·8) = fma(a, c_new_r, acc_r·c_old_r) with a = Σ_{i<n} P[r][i]·V_(j+i)
// (attn_fold), RG rows; acc_r at acc + r·astride.
template <int RG, int CP, bool F16>
inline void accumulate(float* acc, int64_t astride, const float* P, const float* c_old, const float* c_new,
                       const AttnKv& kv, int64_t j, int64_t n, int64_t c0, int64_t pf_end) {
  const int64_t n_pf = pf_end - j - kPrefetchAhead < n ? pf_end - j - kPrefetchAhead : n;  // rows to prefetch
  __m256 a[RG][CP];
  for (int r = 0; r < RG; ++r)
    for (int c = 0; c < CP; ++c) a[r][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; ++i) {
    if (i < n_pf) prefetch_span<F16>(kv.v, (j + i + kPrefetchAhead) * kv.stride + c0 * 8, CP * 8);
    __m256 p[RG];
    for (int r = 0; r < RG; ++r) p[r] = _mm256_broadcast_ss(P + r * kAttnBlock + i);
    for (int c = 0; c < CP; ++c) {
      const __m256 v = load8<F16>(kv.v, (j + i) * kv.stride + (c0 + c) * 8);
      for (int r = 0; r < RG; ++r) a[r][c] = _mm256_fmadd_ps(v, p[r], a[r][c]);
    }
  }
  for (int r = 0; r < RG; ++r)
    for (int c = 0; c < CP; ++c) attn_fold_store(acc + r * astride + (c0 + c) * 8, a[r][c], c_old[r], c_new[r]);
}

// Output slices per pass: RG·CP accumulators + RG broadcasts + 1 value ≤ 16 registers.
template <int RG>
constexpr int kSlices = RG == 1 ? 8 : RG == 2 ? 4 : RG == 3 ? 4 : 2;

// Folds positions [b0, b1) (at most kAttnBlock, b0 a multiple of it) into rows r0 .. r0+RG of
// `rows`. HS % 8 == 0, RG ≤ 4. Prefetches (a hint) the same columns kPrefetchAhead positions on,
// below pf_end.
template <int RG, bool F16>
void fold_block(const AttnRows& rows, int r0, const AttnKv& kv, int64_t b0, int64_t b1, int64_t HS,
                int64_t pf_end) {
  constexpr int CP = kSlices<RG>;
  alignas(32) float s[RG * kAttnBlock];
  float c_old[RG], c_new[RG];
  const float* q = rows.q + r0 * HS;
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  int64_t ne[RG], n = 0;  // positions row r sees in this block; the most of them
  for (int r = 0; r < RG; ++r) {
    const int64_t lim = rows.limit[r0 + r];
    ne[r] = (b1 < lim ? b1 : lim) - b0;
    n = ne[r] > n ? ne[r] : n;
  }
  if (n <= 0) return;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) scores<RG, 4, F16>(q, kv, b0 + i, HS, s, i, pf_end);
  for (; i < n; ++i) scores<RG, 1, F16>(q, kv, b0 + i, HS, s, i, pf_end);
  // p_i = e^(s_i − m_b) for i < ne[r], else 0; then the block folds in (attn_fold).
  for (int r = 0; r < RG; ++r) {
    float* sr = s + r * kAttnBlock;
    const int R = r0 + r;
    if (ne[r] <= 0) {  // this row sees none of the block: state untouched (acc·1 + 0·0)
      for (i = 0; i < n; ++i) sr[i] = 0.0f;
      c_old[r] = 1.0f, c_new[r] = 0.0f;
      continue;
    }
    __m256 mv = _mm256_set1_ps(-INFINITY);
    for (i = 0; i + 8 <= ne[r]; i += 8) mv = _mm256_max_ps(mv, _mm256_load_ps(sr + i));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    float mb = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
    for (; i < ne[r]; ++i) mb = sr[i] > mb ? sr[i] : mb;
    const __m256 mbv = _mm256_set1_ps(mb), nev = _mm256_set1_ps(float(ne[r]));
    __m256 lsum = _mm256_setzero_ps();
    for (i = 0; i < n; i += 8) {
      // Lanes past n hold stale values: the mask zeroes them (and i ≥ ne[r]).
      const __m256 live = _mm256_cmp_ps(_mm256_add_ps(lane, _mm256_set1_ps(float(i))), nev, _CMP_LT_OQ);
      const __m256 x = _mm256_blendv_ps(_mm256_set1_ps(-87.0f), _mm256_sub_ps(_mm256_load_ps(sr + i), mbv), live);
      const __m256 p = _mm256_and_ps(exp_nonpositive(x), live);
      _mm256_store_ps(sr + i, p);
      lsum = _mm256_add_ps(lsum, p);
    }
    const AttnFold f = attn_fold(rows.m[R], mb);
    rows.l[R] = attn_fold_sum(rows.l[R], hsum(lsum), f);
    rows.m[R] = f.m;
    c_old[r] = f.c_old, c_new[r] = f.c_new;
  }
  float* acc = rows.acc + r0 * HS;
  const int64_t nc = HS / 8;
  int64_t c0 = 0;
  for (; c0 + CP <= nc; c0 += CP) accumulate<RG, CP, F16>(acc, HS, s, c_old, c_new, kv, b0, n, c0, pf_end);
  for (; c0 < nc; ++c0) accumulate<RG, 1, F16>(acc, HS, s, c_old, c_new, kv, b0, n, c0, pf_end);
}

// Folds block [b0, b1) into every row of `rows`, in groups of up to 4 (3 + 3 for 6 rows would
// also do; 4 + 2 keeps the code small).
template <bool F16>
void fold_few(const AttnRows& rows, const AttnKv& kv, int64_t b0, int64_t b1, int64_t HS, int64_t pf_end) {
  int r0 = 0;
  for (; r0 + 4 <= rows.R; r0 += 4) fold_block<4, F16>(rows, r0, kv, b0, b1, HS, pf_end);
  switch (rows.R - r0) {
    case 3: fold_block<3, F16>(rows, r0, kv, b0, b1, HS, pf_end); break;
    case 2: fold_block<2, F16>(rows, r0, kv, b0, b1, HS, pf_end); break;
    case 1: fold_block<1, F16>(rows, r0, kv, b0, b1, HS, pf_end); break;
    default: break;
  }
}

template <bool F16>
void block_few(const AttnRows& rows, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  for (int64_t b0 = j0; b0 < j1; b0 += kAttnBlock)
    fold_few<F16>(rows, kv, b0, b0 + kAttnBlock < j1 ? b0 + kAttnBlock : j1, HS, j1);
}

void block_avx2_rows(const AttnRows& rows, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  if (kv.type == DType::F16) block_few<true>(rows, kv, j0, j1, HS);
  else block_few<false>(rows, kv, j0, j1, HS);
}

// Block by block, every kv head in turn: the cache rows are read in order, whole. Rows with a
// slot_stride fold block k into their state k.
template <bool F16>
void heads_few(const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  for (int64_t b0 = j0, k = 0; b0 < j1; b0 += kAttnBlock, ++k) {
    const int64_t b1 = b0 + kAttnBlock < j1 ? b0 + kAttnBlock : j1;
    for (int g = 0; g < ng; ++g) {
      AttnRows slot = rows[g];
      const int64_t off = k * slot.slot_stride;
      slot.m += off, slot.l += off, slot.acc += off;
      fold_few<F16>(slot, attn_kv_head(kv, g), b0, b1, HS, j1);
    }
  }
}

void heads_avx2(const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  bool few = HS % 8 == 0;
  for (int g = 0; g < ng; ++g) few = few && rows[g].R <= kAttnFewRows;
  if (!few) return attn_heads_each(attn_block_avx2(), rows, ng, kv, j0, j1, HS);
  if (kv.type == DType::F16) heads_few<true>(rows, ng, kv, j0, j1, HS);
  else heads_few<false>(rows, ng, kv, j0, j1, HS);
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

AttnBlockFn attn_block_avx2_rows() { return block_avx2_rows; }
AttnHeadsFn attn_heads_avx2() { return heads_avx2; }

}  // namespace tock
