// The AVX2 (+FMA, F16C) online-softmax block kernel. Per block of kAttnBlock positions: the
// keys and values are converted to f32 once (f16 cache) and shared by the R query rows; scores
// are 8 positions at a time (8 FMA chains, one transpose-add); e^x is exp_avx2.hpp's polynomial.
// Arithmetic: attention_kernels.hpp's canonical fold, the same bits as attention_avx2_rows.cpp for
// a row (whatever rows share the call); attention_scalar.cpp's up to summation order and exp.
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

constexpr int64_t kMaxHead = 256;  // larger heads go to the scalar kernel

// Lane i = the sum of a[i]'s lanes.
inline __m256 hsum8x8(const __m256* a) {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// rows of n positions (j0..j0+n) of one kv head as f32: into buf (stride HS) for f16, or in place.
inline const float* as_f32(const AttnKv& kv, const void* base, int64_t j0, int64_t n, int64_t HS,
                           float* buf, int64_t* stride) {
  if (kv.type == DType::F32) {
    *stride = kv.stride;
    return static_cast<const float*>(base) + j0 * kv.stride;
  }
  const auto* h = static_cast<const uint16_t*>(base) + j0 * kv.stride;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t d = 0; d < HS; d += 8)
      _mm256_storeu_ps(buf + j * HS + d,
                       _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + j * kv.stride + d))));
  *stride = HS;
  return buf;
}

// acc[0 .. 8·NC) = fma(a, c_new, acc·c_old) with a = Σ_{j<n} p[j]·V[j·vs ..] (attn_fold): NC
// 8-wide slices kept in registers.
template <int NC>
inline void accumulate(float* acc, const float* p, const AttnFold& f, const float* V, int64_t vs, int64_t n) {
  __m256 a[NC];
  for (int c = 0; c < NC; ++c) a[c] = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    const __m256 pj = _mm256_broadcast_ss(p + j);
    for (int c = 0; c < NC; ++c) a[c] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(V + j * vs + 8 * c), a[c]);
  }
  for (int c = 0; c < NC; ++c) attn_fold_store(acc + 8 * c, a[c], f.c_old, f.c_new);
}

// Scores of the block's first n positions for one row: s[j] = q·K_j, 8 positions at a time.
inline void row_scores(const float* q, const float* K, int64_t ks, int64_t n, int64_t HS, float* s) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 a[8];
    for (int i = 0; i < 8; ++i) a[i] = _mm256_setzero_ps();
    for (int64_t d = 0; d < HS; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      for (int i = 0; i < 8; ++i) a[i] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(K + (j + i) * ks + d), a[i]);
    }
    _mm256_store_ps(s + j, hsum8x8(a));
  }
  for (; j < n; ++j) {
    __m256 a = _mm256_setzero_ps();
    for (int64_t d = 0; d < HS; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(K + j * ks + d), a);
    s[j] = hsum_pairs(a);  // rounds as hsum8x8
  }
}

// Rows scored per pass over a block's keys (their scores: kChunk × kAttnBlock floats, 16 KiB).
constexpr int kChunk = 64;

void block_avx2(const AttnRows& rows, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  if (HS % 8 != 0 || HS > kMaxHead) return attn_block_scalar()(rows, kv, j0, j1, HS);
  if (rows.R <= kAttnFewRows) return attn_block_avx2_rows()(rows, kv, j0, j1, HS);
  alignas(32) float buf[kAttnBlock * kMaxHead];  // the block's keys, then its values (f16 cache)
  alignas(32) float S[kChunk * kAttnBlock];
  for (int64_t b0 = j0; b0 < j1; b0 += kAttnBlock) {
    const int64_t b1 = b0 + kAttnBlock < j1 ? b0 + kAttnBlock : j1;
    // The widest row window in this block decides how many positions to convert.
    int64_t e_max = b0;
    for (int r = 0; r < rows.R; ++r) e_max = rows.limit[r] > e_max ? rows.limit[r] : e_max;
    e_max = e_max < b1 ? e_max : b1;
    if (e_max <= b0) continue;
    // Keys for every row, then values for every row: one block's keys or values (16 KiB at
    // HS 64) in L1 at a time, not both, converted into one buffer.
    for (int r0 = 0; r0 < rows.R; r0 += kChunk) {
      int64_t ks = 0, vs = 0;
      const float* K = as_f32(kv, kv.k, b0, e_max - b0, HS, buf, &ks);
      const int r1 = rows.R < r0 + kChunk ? rows.R : r0 + kChunk;
      auto seen = [&](int r) { return (b1 < rows.limit[r] ? b1 : rows.limit[r]) - b0; };  // positions row r sees
      for (int r = r0; r < r1; ++r)
        if (seen(r) > 0) row_scores(rows.q + r * HS, K, ks, seen(r), HS, S + (r - r0) * kAttnBlock);
      const float* V = as_f32(kv, kv.v, b0, e_max - b0, HS, buf, &vs);
      for (int r = r0; r < r1; ++r) {
        const int64_t n = seen(r);
        if (n <= 0) continue;
        float* s = S + (r - r0) * kAttnBlock;
        float mb = -INFINITY;  // the block's own max
        for (int64_t j = 0; j < n; ++j) mb = s[j] > mb ? s[j] : mb;
        // p_j = e^(s_j − m_b); the padding lanes of the last 8 are 0 (they add nothing to l_b).
        const __m256 mbv = _mm256_set1_ps(mb);
        __m256 lsum = _mm256_setzero_ps();
        for (int64_t j = 0; j < n; j += 8) {
          __m256 p = exp_nonpositive(_mm256_sub_ps(_mm256_load_ps(s + j), mbv));  // s_j ≤ m_b
          if (j + 8 > n) p = _mm256_and_ps(p, _mm256_cmp_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7),
                                                            _mm256_set1_ps(float(n - j)), _CMP_LT_OQ));
          _mm256_store_ps(s + j, p);
          lsum = _mm256_add_ps(lsum, p);
        }
        const AttnFold f = attn_fold(rows.m[r], mb);
        rows.l[r] = attn_fold_sum(rows.l[r], hsum(lsum), f);
        rows.m[r] = f.m;
        // acc = fma(Σ_j p_j V_j, c_new, acc·c_old), 8 output slices at a time in registers: 8
        // independent FMA chains (one chain per slice would wait on the FMA latency).
        float* acc = rows.acc + r * HS;
        int64_t c0 = 0;
        for (; c0 + 64 <= HS; c0 += 64) accumulate<8>(acc + c0, s, f, V + c0, vs, n);
        for (; c0 < HS; c0 += 8) accumulate<1>(acc + c0, s, f, V + c0, vs, n);
      }
    }
  }
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

AttnBlockFn attn_block_avx2() { return block_avx2; }

}  // namespace tock
