// AVX2 small-T kernel for the 32-block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): decode of 1..15
// sequences at once (serving's batch). The row kernels (matmul_avx2.cpp) keep one weight row's
// partial sums in the lanes, so every (row, block, activation row) pays a conversion, a
// broadcast scale and an FMA of its own, and a horizontal sum per output at the end: at T = 4
// that per-row float work, not the integer dot, is most of the time. Here 8 weight rows are
// decoded once per chunk of blocks into an L1 panel (int16 codes, f32 scales and mins per row);
// for each activation row and block the 8 rows' integer sums are folded into one vector whose
// lane r is row r, which is then scaled by the 8 rows' scales at once and accumulated: the float
// work is shared by 8 rows. The panel pairs rows r and r+4 in each vector (row r's 8 codes in the
// low 128 bits, row r+4's in the high), against x's 8 values broadcast to both halves: 4 pairs'
// madd sums then fold to the 8 lanes in 3 horizontal adds (not 6 and a cross-lane step).
// T = 1 (one stream's decode, bound by DRAM) takes no panel: it reads the 8 rows one after another
// in memory order and folds their per-block sums to the same lanes (one_row).
// Same integers as the scalar row kernels (matmul_scalar.cpp); f32 rounding differs only in order
// from theirs, and not at all from the AVX2 GEMM's (see accumulate).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_formats.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/matmul_codes_avx2.hpp"

namespace tock {
namespace {

constexpr int R = 8;             // weight rows per group: one per f32 lane
constexpr int64_t kChunk = 16;  // blocks per panel chunk: 8 rows x 16 blocks of int16 = 8 KiB in L1

// One group's panel chunk. codes[b][p][q]: block b's elements 8q..8q+7 of row p (low 128 bits)
// and of row p + 4 (high), int16; d, m: block b's scale and min of row r (lane r).
struct Panel {
  alignas(32) int16_t codes[kChunk][R / 2][4][16];
  alignas(32) uint32_t dm16[kChunk][R];  // the block's first 4 bytes: f16 d, then f16 m (kMin)
  alignas(32) float d[kChunk][R];
  alignas(32) float m[kChunk][R];
};

// Every format here starts with f16 d; those with a min follow it with f16 m.
template <typename F>
inline uint32_t d_and_m(const typename F::Block& b) {
  uint32_t v;
  std::memcpy(&v, &b, 4);
  return F::kMin ? v : v & 0xFFFF;
}

// 8 rows' (d, m) halves at once: [d0 m0 .. d7 m7] -> packed [d0..d3 m0..m3 | d4..d7 m4..m7]
// -> [d0..d7 | m0..m7] -> f32 (exact: every f16 is an f32).
template <typename F>
inline void scales_f32(const uint32_t dm16[R], __m256& d, __m256& m) {
  const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(dm16));
  const __m256i packed = _mm256_packus_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)), _mm256_srli_epi32(v, 16));
  const __m256i halves = _mm256_permute4x64_epi64(packed, 0xD8);
  d = _mm256_cvtph_ps(_mm256_castsi256_si128(halves));
  m = F::kMin ? _mm256_cvtph_ps(_mm256_extracti128_si256(halves, 1)) : _mm256_setzero_ps();
}

// The chunk's scales: d and m of block b, row r at lane r (rows past the matrix: zero).
template <typename F>
void decode_scales(const uint8_t* w, size_t w_row, int rows, int64_t c0, int cb, Panel& p) {
  using Block = typename F::Block;
  for (int r = 0; r < R; ++r) {
    if (r < rows) {
      const auto* wb = reinterpret_cast<const Block*>(w + size_t(r) * w_row) + c0;
      for (int b = 0; b < cb; ++b) p.dm16[b][r] = d_and_m<F>(wb[b]);
    } else {
      for (int b = 0; b < cb; ++b) p.dm16[b][r] = 0;  // past the matrix: zero scales, lanes never stored
    }
  }
  for (int b = 0; b < cb; ++b) {
    __m256 d, m;
    scales_f32<F>(p.dm16[b], d, m);
    _mm256_store_ps(p.d[b], d);
    if constexpr (F::kMin) _mm256_store_ps(p.m[b], m);
  }
}

// Pair pr's rows (pr and pr + 4) of a group: their block pointers at chunk c0 (nullptr past the
// matrix), and block b's codes as the panel's 4 vectors, prefetching the next group's.
template <typename F>
struct PairRows {
  using Block = typename F::Block;
  const Block *a = nullptr, *c = nullptr;
  size_t ahead = 0;  // bytes to the same block of the next group's row
  PairRows(const uint8_t* w, size_t w_row, int rows, int pr, int64_t c0) : ahead(size_t(R) * w_row) {
    if (pr < rows) a = reinterpret_cast<const Block*>(w + size_t(pr) * w_row) + c0;
    if (pr + R / 2 < rows) c = reinterpret_cast<const Block*>(w + size_t(pr + R / 2) * w_row) + c0;
  }
  // The next group's rows: eight rows at a time defeat the hardware's stream detection, and a
  // weight matrix bigger than L2 would stall every decode on DRAM (prefetching past the matrix's
  // end is harmless: a hint never faults).
  void codes(int b, __m256i v[4]) const {
    const avx2::Codes zero = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    avx2::Codes ca = zero, cc = zero;
    if (a) {
      _mm_prefetch(reinterpret_cast<const char*>(a + b) + ahead, _MM_HINT_T0);
      ca = F::codes(a[b]);
    }
    if (c) {
      _mm_prefetch(reinterpret_cast<const char*>(c + b) + ahead, _MM_HINT_T0);
      cc = F::codes(c[b]);
    }
    v[0] = _mm256_permute2x128_si256(ca.lo, cc.lo, 0x20);  // elements 0-7
    v[1] = _mm256_permute2x128_si256(ca.lo, cc.lo, 0x31);  // 8-15
    v[2] = _mm256_permute2x128_si256(ca.hi, cc.hi, 0x20);  // 16-23
    v[3] = _mm256_permute2x128_si256(ca.hi, cc.hi, 0x31);  // 24-31
  }
};

template <typename F>
void decode(const uint8_t* w, size_t w_row, int rows, int64_t c0, int cb, Panel& p) {
  decode_scales<F>(w, w_row, rows, c0, cb, p);
  for (int pr = 0; pr < R / 2; ++pr) {
    const PairRows<F> pair(w, w_row, rows, pr, c0);
    for (int b = 0; b < cb; ++b) {
      __m256i v[4];
      pair.codes(b, v);
      auto* out = reinterpret_cast<__m256i*>(p.codes[b][pr]);
      for (int q = 0; q < 4; ++q) _mm256_store_si256(out + q, v[q]);
    }
  }
}

// x's elements 8q..8q+7 of block xb in both halves.
inline void broadcast_x(const BlockQ16_32& xb, __m256i X[4]) {
  const auto* xq = reinterpret_cast<const __m128i*>(xb.qs);
  for (int q = 0; q < 4; ++q) X[q] = _mm256_broadcastsi128_si256(_mm_loadu_si128(xq + q));
}

// A pair's 4 partial sums of row pr (low half) and row pr + 4 (high).
inline __m256i pair_sums(__m256i c0, __m256i c1, __m256i c2, __m256i c3, const __m256i X[4]) {
  return _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(c0, X[0]), _mm256_madd_epi16(c1, X[1])),
                          _mm256_add_epi32(_mm256_madd_epi16(c2, X[2]), _mm256_madd_epi16(c3, X[3])));
}

// The block's contribution to the 8 rows' accumulators: P's 4 pairs folded to lane r = row r
// ([r0 r0 r1 r1 | r4 r4 r5 r5], [r2 r2 r3 r3 | r6 r6 r7 r7] -> [r0 r1 r2 r3 | r4 r5 r6 r7]),
// scaled by d·dx, then the min term m·dx·Σq_x, both into the same accumulator in this order:
// exactly the f32 operations of the AVX2 GEMM's tile (gemm_avx2.cpp), so an output has the same
// bits whichever of the two kernels computes it, and a server's greedy output does not depend on
// whether a sequence's token shares a forward pass with a prompt chunk (T ≥ kGemmMinRows).
// s: the block's 8 rows' integer sums (lane r: row r); d, m: their scales and mins.
template <typename F>
inline void scale_add(__m256i s, __m256 d, __m256 m, const BlockQ16_32& xb, __m256& a) {
  const __m256 sum = _mm256_cvtepi32_ps(s);
  a = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(xb.d)), sum, a);
  if constexpr (F::kMin) a = _mm256_fmadd_ps(m, _mm256_set1_ps(xb.d * float(xb.isum)), a);
}

template <typename F>
inline void accumulate(const __m256i P[4], const Panel& p, int b, const BlockQ16_32& xb, __m256& a) {
  const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(P[0], P[1]), _mm256_hadd_epi32(P[2], P[3]));
  scale_add<F>(s, _mm256_load_ps(p.d[b]), F::kMin ? _mm256_load_ps(p.m[b]) : _mm256_setzero_ps(), xb, a);
}

// Lanes [0, rows) of v to y.
inline void store_rows(__m256 v, int rows, float* y) {
  if (rows == R) {
    _mm256_storeu_ps(y, v);
    return;
  }
  alignas(32) float tmp[R];
  _mm256_store_ps(tmp, v);
  for (int r = 0; r < rows; ++r) y[r] = tmp[r];
}

// T = 1: nothing to reuse a panel for, and the weights come from DRAM (a model is bigger than the
// caches), so the weights are read in memory order: each of the group's 8 rows in turn, a whole
// chunk of kRowChunk blocks of it, into the per-block integer sums (exact, so their order of
// summation does not matter), which are then turned to lane r = row r and scaled exactly as
// small_t's accumulate does: the same bits as T > 1 and the GEMM. Reading the 8 rows block by
// block instead (8 streams 34 bytes at a time) made Q8_0 decode ~12% slower than the old one-row
// kernel: the matvec is bound by memory, not by these few integer operations.
constexpr int64_t kRowChunk = 64;  // blocks per row pass: sums and scales 2 KiB each

// One (row, block) pair's 8 partial sums: Σ over lanes is the block's integer dot.
// xq: the block's 32 activation codes, 64-byte aligned (one cache line).
template <typename F>
inline __m256i block_sums(const typename F::Block& wb, const int16_t* xq) {
  const avx2::Codes c = F::codes(wb);
  const auto* xv = reinterpret_cast<const __m256i*>(xq);
  return _mm256_add_epi32(_mm256_madd_epi16(c.lo, _mm256_load_si256(xv)), _mm256_madd_epi16(c.hi, _mm256_load_si256(xv + 1)));
}

// v[j]'s lanes summed into lane j: [Σv0 .. Σv7]. Unpacks and adds, not vphaddd (4 uops and a
// throughput of 2 cycles on Zen 3, for the same shuffle and add).
inline __m256i sum_lanes(const __m256i v[8]) {
  __m256i h[4], q[2];
  for (int i = 0; i < 4; ++i)  // [v0 v1 v0 v1 | ...] (elements 0+2, 1+3 of each 128-bit lane)
    h[i] = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 2; ++i)  // [v0 v1 v2 v3 | v0 v1 v2 v3]: low and high 128 bits' sums
    q[i] = _mm256_add_epi32(_mm256_unpacklo_epi64(h[2 * i], h[2 * i + 1]), _mm256_unpackhi_epi64(h[2 * i], h[2 * i + 1]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(q[0], q[1], 0x20), _mm256_permute2x128_si256(q[0], q[1], 0x31));
}

// The same for a row's last 1..4 blocks (K = 576 ends in 2), at a third of the work or less:
// lanes [0, n) of the result are Σv0 .. Σv(n-1), the others zero or partial sums (never read).
inline __m256i sum_lanes_tail(const __m256i v[4], int n) {
  const __m256i h0 = _mm256_add_epi32(_mm256_unpacklo_epi32(v[0], v[1]), _mm256_unpackhi_epi32(v[0], v[1]));
  __m256i q;  // lanes 0..3 (or 0..1): the low 128 bits' sums; 4..7 (4..5): the high ones'
  if (n <= 2) {
    q = _mm256_add_epi32(h0, _mm256_unpackhi_epi64(h0, h0));
  } else {
    const __m256i h1 = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2], v[3]), _mm256_unpackhi_epi32(v[2], v[3]));
    q = _mm256_add_epi32(_mm256_unpacklo_epi64(h0, h1), _mm256_unpackhi_epi64(h0, h1));
  }
  return _mm256_zextsi128_si256(_mm_add_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)));
}

// 8x8 int32 transpose: out[j] lane r = in[r] lane j, for j < n (n ≤ 4 skips out[4..7]).
inline void transpose8(const __m256i in[8], __m256i out[8], int n) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(in[i], in[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(in[i], in[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) out[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
  if (n > 4)
    for (int i = 0; i < 4; ++i) out[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
}

// Software prefetch distance of the row pass: the hardware's streams stop at each 4 KiB page, and
// the matvec waits on every restart. Rows follow each other in memory, so this runs on into the
// next rows and groups (past the matrix's end is harmless: a hint never faults). Q8_0 576x196608
// (113 MB, from DRAM), 1 thread, medians of 5 alternated bench_matmul runs on the loaded box:
// 13.6 ms at 2 KiB, 18.1 without. In one process, calls alternated, quiet box, median ms at 1/2/3/4
// KiB: Q8_0 576x196608 11.9/11.2/10.5/11.4, 1536x65536 13.0/11.4/12.2/11.4; Q4_1 10.4/10.1/10.2/10.1,
// 6.8/6.2/6.0/6.0: 1 KiB is too short, 2 to 4 KiB the same within noise.
constexpr int kPrefetchBytes = 2048;

// One row's pass over blocks [0, cb) of a chunk: sums[b] = the block's integer dot (8 blocks per
// store; blocks past cb sum to 0), dm16[b][r] = its d and m.
template <typename F>
void row_pass(const typename F::Block* wb, const int16_t (*x)[32], int cb, int r, int32_t* sums,
              uint32_t (*dm16)[R]) {
  using Block = typename F::Block;
  for (int b8 = 0; b8 < cb; b8 += 8) {
    __m256i v[8], s;
    const int n = cb - b8;
    if (n >= 8) {
      const char* ahead = reinterpret_cast<const char*>(wb + b8) + kPrefetchBytes;
      for (int o = 0; o < int(8 * sizeof(Block)); o += 64) _mm_prefetch(ahead + o, _MM_HINT_T0);
      for (int j = 0; j < 8; ++j) v[j] = block_sums<F>(wb[b8 + j], x[b8 + j]);
      s = sum_lanes(v);
    } else if (n <= 4) {
      for (int j = 0; j < 4; ++j) v[j] = j < n ? block_sums<F>(wb[b8 + j], x[b8 + j]) : _mm256_setzero_si256();
      s = sum_lanes_tail(v, n);
    } else {
      for (int j = 0; j < 8; ++j) v[j] = j < n ? block_sums<F>(wb[b8 + j], x[b8 + j]) : _mm256_setzero_si256();
      s = sum_lanes(v);
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + b8), s);
  }
  for (int b = 0; b < cb; ++b) dm16[b][r] = d_and_m<F>(wb[b]);
}

template <typename F>
void one_row(int64_t nb, const uint8_t* w, size_t w_row, int64_t n0, int64_t n1, const BlockQ16_32* x, float* y) {
  using Block = typename F::Block;
  alignas(32) int32_t sums[R][kRowChunk];  // sums[r][b]: row r's integer dot of block b
  alignas(32) uint32_t dm16[kRowChunk][R];
  // The chunk's activation codes, a cache line per block: in BlockQ16_32 (72 bytes) half of the
  // 32-byte loads would cross a line, for each of the 8 rows.
  alignas(64) int16_t xq[kRowChunk][32];
  int64_t xq_c0 = -1;  // the chunk xq holds (a row of up to kRowChunk blocks: filled once)
  for (int64_t g = n0; g < n1; g += R) {
    const int rows = int(n1 - g < R ? n1 - g : R);
    const uint8_t* wg = w + size_t(g) * w_row;
    __m256 a = _mm256_setzero_ps();
    for (int64_t c0 = 0; c0 < nb; c0 += kRowChunk) {
      const int cb = int(nb - c0 < kRowChunk ? nb - c0 : kRowChunk);
      if (xq_c0 != c0) {
        for (int b = 0; b < cb; ++b) std::memcpy(xq[b], x[c0 + b].qs, sizeof(xq[b]));
        xq_c0 = c0;
      }
      for (int r = 0; r < R; ++r) {
        if (r < rows) {
          row_pass<F>(reinterpret_cast<const Block*>(wg + size_t(r) * w_row) + c0, xq, cb, r, sums[r], dm16);
        } else {  // past the matrix: zero sums and scales, lanes never stored
          std::memset(sums[r], 0, sizeof(sums[r]));
          for (int b = 0; b < cb; ++b) dm16[b][r] = 0;
        }
      }
      for (int b8 = 0; b8 < cb; b8 += 8) {
        __m256i in[8], s[8];
        const int n = cb - b8 < 8 ? cb - b8 : 8;
        for (int r = 0; r < R; ++r) in[r] = _mm256_load_si256(reinterpret_cast<const __m256i*>(sums[r] + b8));
        transpose8(in, s, n);
        for (int j = 0; j < n; ++j) {
          __m256 d, m;
          scales_f32<F>(dm16[b8 + j], d, m);
          scale_add<F>(s[j], d, m, x[c0 + b8 + j], a);
        }
      }
    }
    store_rows(a, rows, y + g);
  }
}

template <typename F>
void small_t(int64_t K, const uint8_t* w, size_t w_row, int64_t n0, int64_t n1, const void* xv, int64_t T,
             float* y, int64_t N) {
  const int64_t nb = K / 32;
  const auto* x = static_cast<const BlockQ16_32*>(xv);
  if (T == 1) return one_row<F>(nb, w, w_row, n0, n1, x, y);
  Panel p;
  __m256 acc[kSmallMaxT];  // lane r: row g + r
  for (int64_t g = n0; g < n1; g += R) {
    const int rows = int(n1 - g < R ? n1 - g : R);
    for (int64_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
      const int cb = int(nb - c0 < kChunk ? nb - c0 : kChunk);
      decode<F>(w + size_t(g) * w_row, w_row, rows, c0, cb, p);
      for (int64_t t = 0; t < T; ++t) {
        const BlockQ16_32* xt = x + t * nb + c0;
        __m256 a = acc[t];
        for (int b = 0; b < cb; ++b) {
          __m256i X[4], P[R / 2];
          broadcast_x(xt[b], X);
          for (int pr = 0; pr < R / 2; ++pr) {
            const auto* c = reinterpret_cast<const __m256i*>(p.codes[b][pr]);
            P[pr] = pair_sums(_mm256_load_si256(c), _mm256_load_si256(c + 1), _mm256_load_si256(c + 2),
                              _mm256_load_si256(c + 3), X);
          }
          accumulate<F>(P, p, b, xt[b], a);
        }
        acc[t] = a;
      }
    }
    for (int64_t t = 0; t < T; ++t) store_rows(acc[t], rows, y + t * N + g);
  }
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

SmallTFn small_t_kernel_avx2(DType t) {
  switch (t) {
    case DType::Q8_0: return small_t<avx2::Q8_0F>;
    case DType::Q4_0: return small_t<avx2::Q4_0F>;
    case DType::Q4_1: return small_t<avx2::Q4_1F>;
    case DType::Q5_0: return small_t<avx2::Q5_0F>;
    case DType::Q5_1: return small_t<avx2::Q5_1F>;
    default: return nullptr;
  }
}

}  // namespace tock
