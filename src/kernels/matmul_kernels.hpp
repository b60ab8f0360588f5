// Internal to the matmul: the per-(type, ISA) row kernels the driver (matmul.cpp) dispatches to.
// A row kernel takes one weight row in its stored format and up to kMaxRows activation rows
// in the format it asks for, so each weight row is loaded once per tile of activation rows.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"

namespace tock {

// How a kernel wants its activation rows.
enum class ActFormat {
  F32,     // the f32 row as given (float weights)
  Q16_32,  // BlockQ16_32 per 32 values (every quantized weight type)
};

constexpr int kMaxRows = 4;  // activation rows per weight-row load (the T tile)

// out[t] = Σ_k W[k]·x_t[k] for t < nt (1 ≤ nt ≤ kMaxRows); w is one row of K elements.
using RowDotFn = void (*)(int64_t K, const uint8_t* w, const void* const* x, int nt, float* out);

struct RowKernel {
  ActFormat act = ActFormat::F32;
  RowDotFn dot = nullptr;  // nullptr: type not supported
};

RowKernel row_kernel_scalar(DType t);  // integer semantics every SIMD kernel must match
RowKernel row_kernel_avx2(DType t);    // falls back to scalar for types it lacks
RowKernel row_kernel_avx512(DType t);  // falls back to avx2 for types it lacks

}  // namespace tock
