// Internal to the matmul: prefill (T > 1) as a GEMM. Threads split the N weight rows in panels
// of R rows; each panel is decoded once (gemm_panel.hpp) and then meets all T activation rows
// in register-blocked micro-kernels (gemm_kernels.hpp), instead of being re-read and
// re-decoded once per tile of 4 rows as in the row kernels. Same integer semantics as the row
// kernels: activations are the same 16-bit blocks (quantize_activations.hpp).
// On CPUs with AMX (and the kernel's permission), quantized weights use AMX int8 tiles. At the
// Avx2 level, float weights (F16, BF16, F32) from 64 rows go through the f32 sgemm
// (gemm_float.cpp).
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/tensor.hpp"

namespace tock {

// y (T, N) = x (T, K) · Wᵀ through the GEMM path at ISA level isa. Returns false (and does
// nothing) when the level, W's type or T has no GEMM kernel; the caller then uses the row kernels.
bool gemm(Isa isa, const TensorView& W, const float* x, float* y, int64_t T);

}  // namespace tock
