// Quantization of f32 rows to GGUF weight types: the reference (round-to-nearest) quantizers of
// ggml, operation for operation, so blocks are bit-identical to ggml's quantize_row_*_ref and
// to the gguf Python package's gguf.quants.quantize (checked by tests/python/test_quantize.py).
// No fused multiply-add: this file is compiled in ISO C++ mode, where GCC keeps
// -ffp-contract=off, and a fused x*id + 8.5f would round differently at block boundaries.
// Not here: importance-matrix or K-quant quantizers, SIMD (conversion is a one-off job).
#pragma once
#include <cstdint>

#include "core/dtype.hpp"

namespace tock {

// Whether quantize_row can produce type t: F32, F16, BF16, Q8_0, Q4_0, Q4_1.
bool can_quantize(DType t);

// x: n floats; y: row_bytes(t, n) bytes of type t. Throws Error for an unsupported type or
// when n is not a whole number of blocks.
void quantize_row(DType t, const float* x, void* y, int64_t n);

// The reference quantizers, one block row at a time (n a multiple of 32).
void quantize_row_q8_0(const float* x, void* y, int64_t n);  // d = max|x|/127, q = round(x/d)
void quantize_row_q4_0(const float* x, void* y, int64_t n);  // d = x[argmax|x|]/-8, q = trunc(x/d + 8.5)
void quantize_row_q4_1(const float* x, void* y, int64_t n);  // d = (max-min)/15, m = min
void quantize_row_f16(const float* x, void* y, int64_t n);   // round to nearest even
void quantize_row_bf16(const float* x, void* y, int64_t n);  // round to nearest even, NaN quiet

}  // namespace tock
