// Activations (f32 rows) quantized on the fly to 16-bit integer blocks, so that the matmul with
// a quantized weight is an exact integer dot product per block (vpmaddwd / vpdpwssd).
//   BlockQ16_32: 32 values, f32 scale d = amax/32767, q = round(x/d) as int16, isum = Σq (for
//                weight forms with a min, y = d·q + m, which need Σx over the block).
// One format for every quantized weight type: K-quants' sub-blocks of 32 (Q4_K, Q5_K) and pairs
// of 16 (Q6_K) line up with these blocks. Why 16 bits and not llama.cpp's 8: the rounding error
// is at most d/2 = amax/65534 per value, 258x smaller than int8's amax/254. With int8, the noise
// summed over 30 layers x 7 matmuls of SmolLM2-135M moved the top-1 token at ~4% of positions;
// with int16 the fast path agrees with the f32 reference as well as f32 kernels would.
// Re-measured 2026-11-28 (AMD EPYC, AVX2) with llama.cpp-style kernels (vpmaddubsw on u8 nibbles
// x i8 activations, d = amax/127) for Q4_0/Q4_1/Q8_0 in decode: teacher-forced top-1 agreement
// with the reference fell from 0.998 to 0.959 on 512 tokens of English (perplexity 21.36 -> 21.49),
// while the matvec got only 2-5% faster per call (1 thread, CPU time): not taken.
// Rounding is to nearest, ties away from zero: q = trunc(x/d ± 0.5), computed as x·(1/d).
#pragma once
#include <cstdint>

namespace tock {

struct BlockQ16_32 {
  float d;       // scale: x ≈ d·q
  int32_t isum;  // Σ q over the block (|Σq| ≤ 32·32767 fits)
  int16_t qs[32];
};
static_assert(sizeof(BlockQ16_32) == 72);

// x: (K) f32, K a multiple of 32; out: K/32 blocks.
void quantize_row_q16_32(const float* x, BlockQ16_32* out, int64_t K);

// The same with AVX2, bit for bit (quantize_activations_avx2.cpp; only where the CPU has AVX2).
void quantize_row_q16_32_avx2(const float* x, BlockQ16_32* out, int64_t K);

// x: (T, K) f32 -> T rows of K/32 blocks each, in a buffer owned by the calling thread (valid
// until its next call; no allocation once grown). Rows are split over the thread pool when
// the work is large enough to pay for it.
const BlockQ16_32* quantize_rows_q16_32(const float* x, int64_t T, int64_t K);

}  // namespace tock
