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

// Small-T kernels (a few decoding sequences): rows [n0, n1) of y (T, N) for 1 ≤ T ≤ kSmallMaxT
// activation rows x (T rows of K/32 BlockQ16_32, contiguous). Groups of 8 weight rows are
// decoded into L1 once and meet all T rows with the 8 rows' sums in the 8 lanes, where the row
// kernels repeat the per-row float work for every activation row. Same integers as the scalar
// row kernels (the reference); each output depends only on its own row and activation row, so
// results do not depend on T, on [n0, n1) or on the thread split.
constexpr int kSmallMaxT = 16;
using SmallTFn = void (*)(int64_t K, const uint8_t* w, size_t w_row_bytes, int64_t n0, int64_t n1,
                          const void* x, int64_t T, float* y, int64_t N);
SmallTFn small_t_kernel_avx2(DType t);  // nullptr for types it lacks (matmul_small_avx2.cpp)

// The same from weights in the rows8 layout (packed_rows8.hpp; matmul_packed_avx2.cpp), for any
// T ≥ 1: rows [n0, n1) of y (T, N), x as T rows of K/32 BlockQ16_32; every output has the bits
// the small-T kernel and the AVX2 GEMM give it from the stored rows.
using PackedFn = void (*)(int64_t K, const uint8_t* packed, int64_t n0, int64_t n1, const void* x, int64_t T,
                          float* y, int64_t N);
PackedFn packed_kernel_avx2(DType t);  // nullptr for types without the layout

RowKernel row_kernel_scalar(DType t);  // integer semantics every SIMD kernel must match
RowKernel row_kernel_avx2(DType t);    // falls back to scalar for types it lacks
RowKernel row_kernel_avx512(DType t);  // falls back to avx2 for types it lacks

}  // namespace tock
