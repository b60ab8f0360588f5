// Internal to the matmul: prefill (T > 1) as a GEMM. Threads split the N weight rows in panels
// of R rows; each panel is decoded once (gemm_panel.hpp) and then meets all T activation rows
// in register-blocked micro-kernels (gemm_kernels.hpp), instead of being re-read and
// re-decoded once per tile of 4 rows as in the row kernels. Same integer semantics as the row
// kernels: activations are the same 16-bit blocks (quantize_activations.hpp).
// On CPUs with AMX (and the kernel's permission), quantized weights use AMX int8 tiles. At the
// Avx2 level, float weights (F16, BF16, F32) from 64 rows go through the f32 sgemm
// (gemm_float.cpp).
// gemm_many and gemm_pair_then are matmul_many / matmul_pair_then (matmul.hpp) for prefill:
// x quantized once for all matrices, their panels in one parallel_for (one barrier), and the
// pair's epilogue (SwiGLU) run by the thread that wrote each range, so it is split too.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/tensor.hpp"
#include "kernels/matmul.hpp"

namespace tock {

// y (T, N) = x (T, K) · Wᵀ through the GEMM path at ISA level isa. Returns false (and does
// nothing) when the level, W's type or T has no GEMM kernel; the caller then uses the row kernels.
bool gemm(Isa isa, const TensorView& W, const float* x, float* y, int64_t T);

// outs[i].y = x · outs[i].Wᵀ for count ≤ 8 matrices of one K, bit for bit what gemm gives for
// each. Returns false (and does nothing) unless every matrix has a shared-activation GEMM kernel
// at this level (now, at Avx2: quantized types, or F16/BF16 from the float GEMM's 64 rows); the
// caller then runs gemm or matmul on each.
bool gemm_many(Isa isa, const MatmulOut* outs, int count, const float* x, int64_t T);

// ya = x · Waᵀ, yb = x · Wbᵀ (one shape), then epilogue(ctx, t, n0, n1) for every row t of each
// output range [n0, n1) once both outputs there are written, on the thread that wrote them; the
// ranges cover [0, N) once. Returns false (having done nothing) as gemm_many does.
bool gemm_pair_then(Isa isa, const TensorView& Wa, const TensorView& Wb, const float* x, float* ya,
                    float* yb, int64_t T, RangeEpilogue epilogue, void* ctx);

}  // namespace tock
