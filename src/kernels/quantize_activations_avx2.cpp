// quantize_row_q16_32 with AVX2 (quantize_activations.hpp): the same arithmetic lane by lane
// (|x| max, d = amax/32767 and 1/d in scalar f32, x·(1/d) ± 0.5 truncated, clamped to ±32767,
// integer sum), so the same bits as the scalar loop. The GEMM quantizes T·K activations per
// matmul call: the scalar loop was ~3% of prefill's CPU time.
// Compiled with a target pragma after the includes; only this file's own functions get it.
#include <immintrin.h>

#include <cstdint>

#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace tock {

void quantize_row_q16_32_avx2(const float* x, BlockQ16_32* out, int64_t K) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 half = _mm256_set1_ps(0.5f), minus_half = _mm256_set1_ps(-0.5f), zero = _mm256_setzero_ps();
  const __m256i hi = _mm256_set1_epi32(32767), lo = _mm256_set1_epi32(-32767);
  for (int64_t b = 0; b < K / 32; ++b) {
    const float* xb = x + b * 32;
    __m256 v[4];
    __m256 amax = zero;
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(xb + 8 * i);
      amax = _mm256_max_ps(_mm256_and_ps(v[i], abs_mask), amax);  // a NaN element is skipped, as in the scalar loop
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, amax);
    float m = 0.0f;
    for (float l : lanes) m = l > m ? l : m;
    const float d = m / 32767.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4], sum = _mm256_setzero_si256();
    for (int i = 0; i < 4; ++i) {
      const __m256 s = _mm256_mul_ps(v[i], vid);
      const __m256 r = _mm256_add_ps(s, _mm256_blendv_ps(minus_half, half, _mm256_cmp_ps(s, zero, _CMP_GE_OQ)));
      q[i] = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvttps_epi32(r), hi), lo);
      sum = _mm256_add_epi32(sum, q[i]);
    }
    BlockQ16_32& blk = out[b];
    // packs interleaves 128-bit lanes ([a0-3 b0-3 a4-7 b4-7]); the permute restores the order.
    const __m256i q01 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xD8);
    const __m256i q23 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[2], q[3]), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk.qs), q01);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk.qs + 16), q23);
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    blk.d = d;
    blk.isum = _mm_cvtsi128_si32(s4);
  }
}

}  // namespace tock

#pragma GCC pop_options
