// Linear layers straight from the weights' stored format: y = x · Wᵀ.
// The fast path quantizes x to 16-bit blocks and uses integer dot products (AVX-512 VNNI,
// AVX2 or scalar, chosen at run time) for quantized W, f32 FMA for F32/F16/BF16 W; threads
// split the N rows of W. For T ≥ 16 rows quantized W goes through a GEMM (gemm.hpp), with AMX
// int8 tiles on CPUs that have them (TOCK_ISA=avx512 or lower turns AMX off). matmul_ref is the plain reference: dequantize each row, f32 dot.
// Not here: attention or any op other than x · Wᵀ.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace tock {

// y (T, N) = x (T, K) · Wᵀ, where W is a weight matrix with ne = {K, N} (N rows of K elements)
// in any supported dtype. x, y are row-major f32. Overwrites y.
void matmul(const TensorView& W, const float* x, float* y, int64_t T);      // fast, threaded, dispatched
void matmul_ref(const TensorView& W, const float* x, float* y, int64_t T);  // plain scalar loops: dequantize
                                                                             // each row (dequantize_row), f32 dot
bool matmul_supported(DType t);

// The fast path at a chosen ISA level (at most detected_isa(), else Error): Isa::Scalar is the
// integer reference for the SIMD kernels. matmul() is matmul_isa(active_isa(), ...).
void matmul_isa(Isa isa, const TensorView& W, const float* x, float* y, int64_t T);

}  // namespace tock
