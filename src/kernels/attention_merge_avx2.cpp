// The AVX2 (+FMA) fold of a row's per-block softmax states (a decode split's partials) into its
// first, in block order: the same operations as the kernels' own fold (attn_fold), so the row
// has the bits one pass over the positions gives. First the factors, a scalar chain over the
// blocks (kept in the blocks' m and l, not needed after); then each 64-element slice of the
// output stays in registers while every block's partial sum is folded in.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/attention_kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "kernels/attention_fold_avx2.hpp"

namespace tock {
namespace {

// out[0 .. 8·NC) (state 0's slice) folded with the same slice of states k0 .. n−1.
template <int NC>
inline void fold_slices(float* acc, const float* m, const float* l, int64_t k0, int64_t n, int64_t stride) {
  __m256 o[NC];
  for (int c = 0; c < NC; ++c) o[c] = _mm256_loadu_ps(acc + 8 * c);
  for (int64_t k = k0; k < n; ++k) {
    if (m[k * stride] == -INFINITY) continue;  // a block the row saw nothing of
    const __m256 co = _mm256_set1_ps(m[k * stride]), cn = _mm256_set1_ps(l[k * stride]);
    const float* a = acc + k * stride;
    for (int c = 0; c < NC; ++c) o[c] = _mm256_fmadd_ps(_mm256_loadu_ps(a + 8 * c), cn, _mm256_mul_ps(o[c], co));
  }
  for (int c = 0; c < NC; ++c) _mm256_storeu_ps(acc + 8 * c, o[c]);
}

void merge_avx2(float* m, float* l, float* acc, int64_t k0, int64_t n, int64_t stride, int64_t HS) {
  if (HS % 8 != 0) return attn_merge_scalar()(m, l, acc, k0, n, stride, HS);
  // State 0 is never empty (every row sees position 0), so c_old is never the empty state's 0.
  for (int64_t k = k0; k < n; ++k) {
    const float mk = m[k * stride];
    if (mk == -INFINITY) continue;
    const AttnFold f = attn_fold(*m, mk);
    *l = attn_fold_sum(*l, l[k * stride], f);
    *m = f.m;
    m[k * stride] = f.c_old, l[k * stride] = f.c_new;  // c_old is never −inf: the marks stay apart
  }
  int64_t d = 0;
  for (; d + 64 <= HS; d += 64) fold_slices<8>(acc + d, m, l, k0, n, stride);
  for (; d < HS; d += 8) fold_slices<1>(acc + d, m, l, k0, n, stride);
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

AttnMergeFn attn_merge_avx2() { return merge_avx2; }

}  // namespace tock
