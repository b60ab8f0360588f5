// Internal to the matmul: the prefill GEMM's micro-kernels per ISA. A micro-kernel takes one
// weight panel (gemm_panel.hpp: R rows, decoded once per call) and up to `tile` activation
// rows, and writes the (nt × rows) block of y. Each weight code loaded into a register meets
// all nt activation rows; each activation value, broadcast, meets the panel's R rows.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "core/tensor.hpp"
#include "kernels/matmul.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {

constexpr int kGemmMaxTile = 8;  // the most activation rows any micro-kernel takes per call

// Activation rows for the next micro-kernel call, `left` to go: whole tiles, except that a last
// call of 1 or 2 rows shares out with the one before it (at the AVX2 level 4-6 rows run at one
// speed, 2 rows at ~80% of it, 1 at ~55%: too few sums per weight vector loaded). Which rows share
// a call changes nothing in what each row computes.
inline int64_t tile_rows(int tile, int64_t left) {
  if (left <= tile || left >= 2 * tile || left - tile >= tile / 2) return left < tile ? left : tile;
  return (left + 1) / 2;
}

// Quantized weights: y[t·ldy + r] = Σ_b d[b][r]·xd_tb·Σ_i code·q_x + m[b][r]·xd_tb·isum_tb,
// for t < nt, r < rows; x[t] is row t's K/32 activation blocks.
using GemmQFn = void (*)(int64_t nb, const int16_t* codes, const float* d, const float* m,
                         const BlockQ16_32* const* x, int nt, float* y, int64_t ldy, int rows);

struct GemmKernel {
  int R = 0;                  // panel rows (the vector's i32/f32 lanes)
  int tile = 0;               // activation rows per call (≤ kGemmMaxTile)
  GemmQFn q = nullptr;        // formats without a min (Q8_0, Q4_0, Q5_0)
  GemmQFn q_min = nullptr;    // with a min term (Q4_1, Q5_1, Q4_K, Q5_K)
};

GemmKernel gemm_kernel_avx2();    // R = 16, 6 rows per call, vpmaddwd
GemmKernel gemm_kernel_avx512();  // R = 16, 8 rows per call, vpdpwssd (AVX-512 VNNI)

// Float weights (F16, BF16, F32) at the Avx2 level (gemm_float.cpp): the packed f32 sgemm on
// W converted a chunk of rows at a time. Returns false (having done nothing) for other types.
bool gemm_float_avx2(const TensorView& W, const float* x, float* y, int64_t T);

// F16/BF16 weights at the Avx2 level, several matrices of one K over one x (packed once), their
// panels in one parallel_for: gemm_many's outputs (epilogue null) or, with an epilogue and two
// matrices of one shape, gemm_pair_then's. Returns false (having done nothing) when T is below
// the float GEMM's rows or a matrix is not F16/BF16 or does not fit.
bool gemm_half_many_avx2(const MatmulOut* outs, int count, const float* x, int64_t T, RangeEpilogue epilogue,
                         void* ctx);

// The AMX int8 path (amx_gemm.cpp): the whole matmul for a quantized W, T > 1. Returns false
// (having done nothing) when W's type has no panel decoder or AMX is not usable here.
bool gemm_amx(const TensorView& W, const float* x, float* y, int64_t T);

}  // namespace tock
