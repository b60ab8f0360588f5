// Dequantization of GGUF tensor types to f32: the scalar reference, exact to each format's
// definition in ggml (ggml-quants.c dequantize_row_*), operation for operation, so results are
// bit-identical to ggml and to the gguf Python package (no fused multiply-add: this file is
// compiled in ISO C++ mode, where GCC keeps -ffp-contract=off).
// Not here: fast SIMD versions and dot products (they are tested against this one).
#pragma once
#include <cstdint>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace tock {

// Whether dequantize_row supports type t: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool can_dequantize(DType t);

// x: n elements of type t (a whole number of blocks, row_bytes(t, n) bytes); y: n floats.
// Throws Error for an unsupported type or a partial block.
void dequantize_row(DType t, const void* x, float* y, int64_t n);

// The whole tensor as f32, ne[0] fastest. Throws naming the tensor and its type when the
// type is not supported or nbytes does not match the shape.
std::vector<float> dequantize(const TensorView& t);

}  // namespace tock
