#include "kernels/packed_rows8.hpp"

#include <cstring>

#include "core/block_formats.hpp"
#include "core/error.hpp"

namespace tock {
namespace {

// The stored block's fields: f16 d at 0, f16 m at 2 (Q4_1), codes at qs_offset.
size_t qs_offset(DType t) { return t == DType::Q4_1 ? 4 : 2; }
size_t block_bytes(DType t) { return dtype_info(t).block_bytes; }

}  // namespace

bool rows8_type(DType t) { return t == DType::Q4_0 || t == DType::Q4_1 || t == DType::Q8_0; }

Rows8Layout rows8_layout(DType t) {
  if (!rows8_type(t)) fail("rows8: type ", dtype_name(t), " has no 8-row packed layout");
  Rows8Layout l;
  l.group_block = size_t(kRows8) * block_bytes(t);
  l.m_offset = t == DType::Q4_1 ? 16 : 0;
  l.units_offset = t == DType::Q4_1 ? 32 : 16;
  l.units = t == DType::Q8_0 ? 16 : 8;
  return l;
}

size_t rows8_bytes(DType t, int64_t K, int64_t N) {
  return size_t((N + kRows8Pair - 1) / kRows8Pair) * 2 * size_t(K / 32) * rows8_layout(t).group_block;
}

void pack_rows8(DType t, const uint8_t* w, int64_t K, int64_t N, int64_t p0, int64_t p1, uint8_t* out) {
  const Rows8Layout l = rows8_layout(t);
  const int64_t nb = K / 32;
  const size_t bb = block_bytes(t), row = size_t(nb) * bb, qs = qs_offset(t);
  for (int64_t g = 2 * p0; g < 2 * p1; ++g) {
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* o = out + rows8_offset(l, nb, g, b);
      std::memset(o, 0, l.group_block);  // rows past the matrix: zero scales and codes
      for (int r = 0; r < kRows8 && g * kRows8 + r < N; ++r) {
        const uint8_t* blk = w + size_t(g * kRows8 + r) * row + size_t(b) * bb;
        std::memcpy(o + 2 * r, blk, 2);
        if (l.m_offset) std::memcpy(o + l.m_offset + 2 * r, blk + 2, 2);
        for (int j = 0; j < l.units; ++j) std::memcpy(o + l.units_offset + 16 * j + 2 * r, blk + qs + 2 * j, 2);
      }
    }
  }
}

void unpack_rows8_row(DType t, const uint8_t* packed, int64_t K, int64_t n, uint8_t* row) {
  const Rows8Layout l = rows8_layout(t);
  const int64_t nb = K / 32, g = n / kRows8;
  const int r = int(n % kRows8);
  const size_t bb = block_bytes(t), qs = qs_offset(t);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* p = packed + rows8_offset(l, nb, g, b);
    uint8_t* blk = row + size_t(b) * bb;
    std::memcpy(blk, p + 2 * r, 2);
    if (l.m_offset) std::memcpy(blk + 2, p + l.m_offset + 2 * r, 2);
    for (int j = 0; j < l.units; ++j) std::memcpy(blk + qs + 2 * j, p + l.units_offset + 16 * j + 2 * r, 2);
  }
}

}  // namespace tock
