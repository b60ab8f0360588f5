#include "kernels/gemm_panel.hpp"

#include <cstring>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/block_formats.hpp"
#include "core/float16.hpp"

namespace tock {
namespace {

// One 32-block of one row: its 32 integer codes and y = d·code + m.
struct Block32 {
  int8_t c[32];
  float d = 0.0f, m = 0.0f;
};

void nibbles(const uint8_t* qs, int bias, int8_t* c) {
  for (int i = 0; i < 16; ++i) {
    c[i] = int8_t((qs[i] & 0xF) - bias);
    c[i + 16] = int8_t((qs[i] >> 4) - bias);
  }
}

void q5(const uint8_t* qs, const uint8_t* qh_bytes, int bias, int8_t* c) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int i = 0; i < 16; ++i) {
    c[i] = int8_t(((qs[i] & 0xF) | int((qh >> i) & 1) << 4) - bias);
    c[i + 16] = int8_t(((qs[i] >> 4) | int((qh >> (i + 16)) & 1) << 4) - bias);
  }
}

// K-quants with 8 sub-blocks of 32 (Q4_K, Q5_K): sub-block j of a super block is a 32-block
// with d = d·sc_j, m = −dmin·m_j (as in matmul_scalar.cpp's k4_dot).
template <typename KBlock>
void k4(const KBlock& w, const uint8_t* qh, int j, Block32& o) {
  uint8_t sc, mn;
  k_scale_min(j, w.scales, &sc, &mn);
  o.d = f16_to_f32(w.d) * float(sc);
  o.m = -(f16_to_f32(w.dmin) * float(mn));
  const uint8_t* q = w.qs + 32 * (j / 2);
  const int shift = (j & 1) * 4;
  for (int l = 0; l < 32; ++l) {
    int v = (q[l] >> shift) & 0xF;
    if (qh) v |= ((qh[l] >> j) & 1) << 4;
    o.c[l] = int8_t(v);
  }
}

// Block b (of 32 elements) of the row starting at w.
void decode(DType t, const uint8_t* w, int64_t b, Block32& o) {
  switch (t) {
    case DType::Q8_0: {
      const auto& x = reinterpret_cast<const BlockQ8_0*>(w)[b];
      std::memcpy(o.c, x.qs, 32);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q4_0: {
      const auto& x = reinterpret_cast<const BlockQ4_0*>(w)[b];
      nibbles(x.qs, 8, o.c);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q4_1: {
      const auto& x = reinterpret_cast<const BlockQ4_1*>(w)[b];
      nibbles(x.qs, 0, o.c);
      o.d = f16_to_f32(x.d);
      o.m = f16_to_f32(x.m);
      return;
    }
    case DType::Q5_0: {
      const auto& x = reinterpret_cast<const BlockQ5_0*>(w)[b];
      q5(x.qs, x.qh, 16, o.c);
      o.d = f16_to_f32(x.d);
      return;
    }
    case DType::Q5_1: {
      const auto& x = reinterpret_cast<const BlockQ5_1*>(w)[b];
      q5(x.qs, x.qh, 0, o.c);
      o.d = f16_to_f32(x.d);
      o.m = f16_to_f32(x.m);
      return;
    }
    case DType::Q4_K: {
      const auto& x = reinterpret_cast<const BlockQ4_K*>(w)[b / 8];
      k4(x, nullptr, int(b % 8), o);
      return;
    }
    case DType::Q5_K: {
      const auto& x = reinterpret_cast<const BlockQ5_K*>(w)[b / 8];
      k4(x, x.qh, int(b % 8), o);
      return;
    }
    default: return;
  }
}

// out[j·R + r] = in[r·J + j] for r < R, j < J (both multiples of 4): SSE2 4×4 blocks.
void transpose32(const uint32_t* in, int R, int J, uint32_t* out) {
#ifdef __SSE2__
  for (int r = 0; r < R; r += 4) {
    for (int j = 0; j < J; j += 4) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (r + 0) * J + j));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (r + 1) * J + j));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (r + 2) * J + j));
      const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + (r + 3) * J + j));
      const __m128i ab0 = _mm_unpacklo_epi32(a, b), ab1 = _mm_unpackhi_epi32(a, b);
      const __m128i ce0 = _mm_unpacklo_epi32(c, e), ce1 = _mm_unpackhi_epi32(c, e);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (j + 0) * R + r), _mm_unpacklo_epi64(ab0, ce0));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (j + 1) * R + r), _mm_unpackhi_epi64(ab0, ce0));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (j + 2) * R + r), _mm_unpacklo_epi64(ab1, ce1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (j + 3) * R + r), _mm_unpackhi_epi64(ab1, ce1));
    }
  }
#else
  for (int j = 0; j < J; ++j)
    for (int r = 0; r < R; ++r) out[j * R + r] = in[r * J + j];
#endif
}

}  // namespace

bool gemm_q_type(DType t) {
  switch (t) {
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q4_K: case DType::Q5_K:
      return true;
    default: return false;
  }
}

void pack_q_panel(DType t, const uint8_t* w, size_t row_bytes, int rows, int R, int64_t K,
                  CodeLayout layout, void* codes, float* d, float* m) {
  // Decode row by row (one sequential stream through each row's bytes, which the hardware
  // prefetcher follows; block-by-block across R rows measured slower), each block's codes
  // row-major ([R][32]: R rows of J 32-bit groups, int16 pairs or int8 quads) in a scratch
  // buffer; then transpose each block's 32-bit groups into [J][R].
  const int64_t nb = K / 32;
  const int J = layout == CodeLayout::Pairs16 ? 16 : 8;
  const size_t block_groups = size_t(J) * size_t(R);
  thread_local std::vector<uint32_t> rowmajor;
  if (rowmajor.size() < size_t(nb) * block_groups) rowmajor.resize(size_t(nb) * block_groups);
  Block32 blk;
  for (int r = 0; r < R; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      uint32_t* o = rowmajor.data() + size_t(b) * block_groups + size_t(r * J);
      if (r >= rows) {  // past the matrix: zero codes and scales
        d[b * R + r] = m[b * R + r] = 0.0f;
        std::memset(o, 0, size_t(J) * 4);
        continue;
      }
      decode(t, w + size_t(r) * row_bytes, b, blk);
      d[b * R + r] = blk.d;
      m[b * R + r] = blk.m;
      if (layout == CodeLayout::Pairs16) {
        int16_t wide[32];
        for (int i = 0; i < 32; ++i) wide[i] = blk.c[i];
        std::memcpy(o, wide, 64);
      } else {
        std::memcpy(o, blk.c, 32);
      }
    }
  }
  auto* out = static_cast<uint32_t*>(codes);
  for (int64_t b = 0; b < nb; ++b)
    transpose32(rowmajor.data() + size_t(b) * block_groups, R, J, out + size_t(b) * block_groups);
}

}  // namespace tock
