// Activations (f32 rows) quantized on the fly to 8-bit blocks, so that the matmul with a
// quantized weight is an integer dot product per block (as llama.cpp's Q8_0/Q8_1/Q8_K do).
//   BlockQ8_32: 32 values, f32 scale d = amax/127, q = round(x/d), isum = Σq (for the
//               d·q+m and d·(q-8) weight forms, which need Σx over the block).
//   BlockQ8_K (core/block_formats.hpp): 256 values, f32 scale, per-16 sums, for K-quants.
// Rounding is to nearest, ties away from zero: q = trunc(x/d ± 0.5), computed as x·(1/d).
#pragma once
#include <cstdint>

#include "core/block_formats.hpp"

namespace tock {

struct BlockQ8_32 {
  float d;       // scale: x ≈ d·q
  int32_t isum;  // Σ q over the block
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_32) == 40);

// x: (K) f32, K a multiple of 32; out: K/32 blocks.
void quantize_row_q8_32(const float* x, BlockQ8_32* out, int64_t K);
// x: (K) f32, K a multiple of 256; out: K/256 blocks.
void quantize_row_q8_k(const float* x, BlockQ8_K* out, int64_t K);

}  // namespace tock
