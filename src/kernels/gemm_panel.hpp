// Internal to the matmul: weight panels for the prefill GEMM (gemm.hpp). A panel is R weight
// rows (R = the SIMD kernel's lane count) decoded from their stored format once per matmul
// call into a layout the micro-kernels read with plain vector loads, then reused across all T
// activation rows. Decoding is exact: the same integer codes and f32 scales the scalar row
// kernels (matmul_scalar.cpp) use, so the GEMM computes the same integers.
//   QPanel (32-block formats Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 and the 32-sub-blocks of Q4_K/Q5_K):
//     per 32-block b, row r: y = d[b][r]·code + m[b][r]; codes are int8-ranged (|c| ≤ 128).
//     codes16: int16 [nb][16 pairs j][R][2]  (vpmaddwd / vpdpwssd: lane r, elements 2j, 2j+1)
//     codes8:  int8  [nb][8 quads j][R][4]   (AMX B tile in VNNI order: row j, column r)
// Rows past the matrix (a partial last panel) are zero codes with zero scales.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace tock {

// True when the weight type has a panel decoder (the GEMM path can take it): 32-block integer
// codes with per-block d, m. Float weights take the f32 sgemm instead (gemm_float.cpp).
bool gemm_q_type(DType t);

enum class CodeLayout { Pairs16, Quads8 };

constexpr int kMaxPanelRows = 16;

// Decodes rows [0, rows) (rows ≤ R ≤ kMaxPanelRows, R a multiple of 4) of a weight matrix into
// a panel of R rows.
//   w: the first row's bytes; row_bytes: bytes per row; K: elements per row.
//   codes: Pairs16 -> int16[nb·32·R], Quads8 -> int8[nb·32·R]; d, m: float[nb·R].
void pack_q_panel(DType t, const uint8_t* w, size_t row_bytes, int rows, int R, int64_t K,
                  CodeLayout layout, void* codes, float* d, float* m);

// AVX2 only (gemm_panel_avx2.cpp; call where the CPU has AVX2): the same Pairs16 panel of
// R = 16 rows as pack_q_panel, bit for bit, for Q4_0, Q4_1 and Q8_0. Returns false (having
// done nothing) for other types.
bool pack_q_panel16_avx2(DType t, const uint8_t* w, size_t row_bytes, int rows, int64_t K, int16_t* codes,
                         float* d, float* m);

// AVX2 only (gemm_panel_packed_avx2.cpp): the same panel (rows n0..n0+15, n0 a multiple of 16)
// from the matrix's rows8 form (packed_rows8.hpp; N rows in all), for Q4_0, Q4_1 and Q8_0; the
// same codes and scales for the rows of the matrix (pad rows: zero scales). Returns false
// (having done nothing) for other types.
bool pack_q_panel16_rows8_avx2(DType t, const uint8_t* packed, int64_t K, int64_t N, int64_t n0, int16_t* codes,
                               float* d, float* m);

}  // namespace tock
