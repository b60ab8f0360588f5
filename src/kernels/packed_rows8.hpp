// The "rows8" weight layout: a 32-block weight matrix (Q4_0, Q4_1, Q8_0) with its rows
// interleaved in groups of 8, repacked once at model load, so that the AVX2 matmul gets the
// GEMM's Pairs16 vectors (32-bit lane r = row r's int16 code pair j) with a load and one or two
// operations each, and no transposes (matmul_packed_avx2.cpp). Same bytes as the stored rows,
// reordered: the f16 scales stay f16 (a decode reads every byte from DRAM once per token).
//   group g (rows 8g..8g+7), block b: at ((g/2)·2·nb + 2b + g%2)·group_block bytes from the
//   start, i.e. the two groups of a 16-row pair interleaved block by block, so that a kernel
//   reading 16 rows (the GEMM's panel; the AVX2 tile) reads one sequential stream:
//     u16 d[8]             row r's f16 scale
//     u16 m[8]             row r's f16 min (Q4_1 only)
//     u8  units[J][8][2]   unit j of row r = the row's code bytes qs[2j], qs[2j+1]
//   J = 8 for Q4_0/Q4_1 (16 bytes of nibbles: unit j's low nibbles are elements 2j, 2j+1, its
//   high ones 16+2j, 17+2j), 16 for Q8_0 (unit j = elements 2j, 2j+1 as int8).
// vpmovzxbw (Q4) or vpmovsxbw (Q8) of units[j] gives row r's pair in 32-bit lane r.
// A matrix whose N is not a multiple of 16 is padded with zero rows to the end of its last pair.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace tock {

constexpr int kRows8 = 8;    // rows per group
constexpr int kRows8Pair = 16;  // rows per interleaved pair of groups

// True for the types with a rows8 layout.
bool rows8_type(DType t);

// Where a group-block's fields lie, for one type.
struct Rows8Layout {
  size_t group_block = 0;  // bytes of one block of a group's 8 rows (8 × the type's block)
  size_t m_offset = 0;     // u16 m[8] (0: the type has no min)
  size_t units_offset = 0; // the code units
  int units = 0;           // J
};
Rows8Layout rows8_layout(DType t);  // throws for a type without the layout

// Bytes of the packed form of an (N, K) matrix: 2·ceil(N/16) groups of K/32 group-blocks.
size_t rows8_bytes(DType t, int64_t K, int64_t N);

// w: N rows of K elements in type t's stored blocks (row_bytes(t, K) each) -> out
// (rows8_bytes(t, K, N) bytes). Pairs of groups [p0, p1) only (the whole matrix: 0, ceil(N/16)).
void pack_rows8(DType t, const uint8_t* w, int64_t K, int64_t N, int64_t p0, int64_t p1, uint8_t* out);

// The first byte of group g's block b (nb blocks a row) in a packed matrix.
inline size_t rows8_offset(const Rows8Layout& l, int64_t nb, int64_t g, int64_t b) {
  return size_t(((g / 2) * nb + b) * 2 + g % 2) * l.group_block;
}

// The reference inverse: row n's stored bytes (row_bytes(t, K)) from the packed form.
void unpack_rows8_row(DType t, const uint8_t* packed, int64_t K, int64_t n, uint8_t* row);

}  // namespace tock
