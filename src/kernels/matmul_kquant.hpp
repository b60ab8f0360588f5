// Internal to the matmul: SIMD row kernels for the K-quants (Q4_K, Q5_K, Q6_K), same integer
// semantics as the scalar ones in matmul_scalar.cpp (16-bit activation blocks, exact i32 dot per
// 32- or 16-element group, scales applied in f32).
#pragma once
#include "kernels/matmul_kernels.hpp"

namespace tock {

// The kernel for t, or {} (dot == nullptr) for a type that is not a K-quant.
RowKernel row_kernel_kquant_avx2(DType t);

}  // namespace tock
