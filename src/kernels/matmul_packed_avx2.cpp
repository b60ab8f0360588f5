// AVX2 matmul from the rows8 layout (packed_rows8.hpp: Q4_0, Q4_1, Q8_0 weights repacked at load
// in groups of 8 interleaved rows), for any T: decode of one or a few sequences (serving's batch).
// Each code unit loads as the GEMM's Pairs16 vector (32-bit lane r = row r's int16 code pair j)
// with one vpmovzxbw / vpmovsxbw and at most one vpand or vpsrlw, so the kernel is the AVX2
// GEMM's micro-kernel (gemm_avx2.cpp: 16 rows = 2 groups, up to 6 activation rows, each
// broadcast activation pair feeding two vpmaddwd) with the panel decode folded into its loads:
// no L1 panel, no transposes, no horizontal adds (what matmul_small_avx2.cpp spends most of its
// time on at T = 2..8), and one sequential stream per 16 rows (the layout interleaves a pair of
// groups block by block), where one_row reads 8 rows in turn.
// Bits: per block, a = fma(d·x_d, float(Σ), a), then a = fma(m, x_d·float(isum), a) (formats with
// a min), from a = 0: the f32 operations of the small-T kernel and the GEMM in their order, and
// the same integer Σ (Q4_0: Σq·x − 8·isum = Σ(q − 8)·x, exact in i32), so every output has the
// bits it has on the unpacked path, whatever T, the row range or the thread split.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_formats.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/packed_rows8.hpp"
#include "kernels/quantize_activations.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "kernels/pairs16_madd_avx2.hpp"

namespace tock {
namespace {

constexpr int R = kRows8;
constexpr int kTile = 6;  // 12 sums + 2 weight vectors + 2 scratch = 16 ymm registers

// Software prefetch distance along a pair's stream: a decode reads the weights from DRAM, and the
// hardware's streams stop at each 4 KiB page. Q4_1 576x49152, 1 thread, median ms over alternated
// bench_matmul runs (stored rows / rows8): no prefetch 1.64 / 1.42, 2 KiB 1.57 / 1.05, 4 KiB
// 2.19 / 1.32 (a noisy box; Q8_0 alike: 2.50 / 2.86, 2.20 / 1.90, 2.37 / 2.21).
constexpr int kPrefetchBytes = 2048;

alignas(32) constexpr uint16_t kLowNibble[16] = {0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF,
                                                 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF, 0xF};

// Group-block layouts (packed_rows8.hpp): 8 stored blocks' bytes; the code units after the 8 f16
// scales (and the 8 f16 mins).
template <typename Block, bool Min, bool Q8, bool Offset8>
struct Rows8Format {
  static constexpr size_t kBlock = R * sizeof(Block), kUnits = (Min ? 2 : 1) * R * sizeof(uint16_t);
  static constexpr bool kMin = Min, kQ8 = Q8, kOffset8 = Offset8;
};
using Q4_1P = Rows8Format<BlockQ4_1, true, false, false>;
using Q4_0P = Rows8Format<BlockQ4_0, false, false, true>;  // codes q, the sum takes 8·isum off
using Q8_0P = Rows8Format<BlockQ8_0, false, true, false>;

// Code pair j (0..15) of a group-block's 8 rows, lane r = row r. In asm so that the nibble mask
// stays a memory operand: as an intrinsic g++ keeps it in a register the 6-row tile lacks.
template <typename F>
inline __m256i pair(const uint8_t* units, int j) {
  __m256i v;
  if constexpr (F::kQ8) {
    asm("vpmovsxbw %[src], %[v]" : [v] "=x"(v) : [src] "m"(*reinterpret_cast<const __m128i*>(units + 16 * j)));
  } else if (j < 8) {  // low nibbles: elements 2j, 2j+1
    asm("vpmovzxbw %[src], %[v]\n\t"
        "vpand %[mask], %[v], %[v]"
        : [v] "=x"(v)
        : [src] "m"(*reinterpret_cast<const __m128i*>(units + 16 * j)),
          [mask] "m"(*reinterpret_cast<const __m256i*>(kLowNibble)));
  } else {  // high nibbles: elements 16+2(j-8), 17+2(j-8)
    asm("vpmovzxbw %[src], %[v]\n\t"
        "vpsrlw $4, %[v], %[v]"
        : [v] "=x"(v)
        : [src] "m"(*reinterpret_cast<const __m128i*>(units + 16 * (j - 8))));
  }
  return v;
}

// Lanes [lo, hi) of the pair's 16 lanes (v[g] lane r = row 8g + r) to y (y[0] = lane 0).
inline void store_lanes(const __m256 v[2], float* y, int lo, int hi) {
  if (lo == 0 && hi == 2 * R) {
    _mm256_storeu_ps(y, v[0]);
    _mm256_storeu_ps(y + R, v[1]);
    return;
  }
  alignas(32) float tmp[2 * R];
  _mm256_store_ps(tmp, v[0]);
  _mm256_store_ps(tmp + R, v[1]);
  std::memcpy(y + lo, tmp + lo, size_t(hi - lo) * sizeof(float));
}

// One pair of groups (16 rows, its blocks from w on) times NT activation rows x[t]: rows t of y
// (ldy apart), lanes [lo, hi).
template <typename F, int NT>
void tile(int64_t nb, const uint8_t* w, const BlockQ16_32* const* x, float* y, int64_t ldy, int lo, int hi) {
  constexpr int G = 2;
  __m256 acc[NT][G];
  for (int t = 0; t < NT; ++t)
    for (int g = 0; g < G; ++g) acc[t][g] = _mm256_setzero_ps();
  const BlockQ16_32* xt[NT];
  for (int t = 0; t < NT; ++t) xt[t] = x[t];
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk[G];
    for (int g = 0; g < G; ++g) blk[g] = w + size_t(2 * b + g) * F::kBlock;
    for (size_t o = 0; o < G * F::kBlock; o += 64)
      _mm_prefetch(reinterpret_cast<const char*>(blk[0]) + kPrefetchBytes + o, _MM_HINT_T0);
    __m256i s[NT][G];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      const __m256i w0 = pair<F>(blk[0] + F::kUnits, j), w1 = pair<F>(blk[1] + F::kUnits, j);
      for (int t = 0; t < NT; ++t) {
        const int16_t* q = xt[t][b].qs + 2 * j;
        if (j == 0)
          avx2::madd_first(s[t][0], s[t][1], w0, w1, q);
        else
          avx2::madd_pair(s[t][0], s[t][1], w0, w1, q);
      }
    }
    // As in gemm_avx2.cpp: keeps g++ from a second stack copy of the f32 sums.
    asm("" ::: "memory");
    __m256 d[G], m[G];
    for (int g = 0; g < G; ++g) {
      d[g] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[g])));
      if constexpr (F::kMin) m[g] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[g] + 16)));
    }
    for (int t = 0; t < NT; ++t) {
      const __m256 xd = _mm256_broadcast_ss(&xt[t][b].d);
      const __m256i isum = _mm256_set1_epi32(xt[t][b].isum);
      // x_d·isum made in the vector as the GEMM does (the same f32 product: |isum| < 2^24)
      const __m256 xs = F::kMin ? _mm256_mul_ps(xd, _mm256_cvtepi32_ps(isum)) : _mm256_setzero_ps();
      for (int g = 0; g < G; ++g) {
        __m256i sg = s[t][g];
        if constexpr (F::kOffset8) sg = _mm256_sub_epi32(sg, _mm256_slli_epi32(isum, 3));
        __m256 a = _mm256_fmadd_ps(_mm256_mul_ps(d[g], xd), _mm256_cvtepi32_ps(sg), acc[t][g]);
        if constexpr (F::kMin) a = _mm256_fmadd_ps(m[g], xs, a);
        acc[t][g] = a;
      }
    }
  }
  for (int t = 0; t < NT; ++t) store_lanes(acc[t], y + t * ldy, lo, hi);
}

template <typename F>
void tile_nt(int nt, int64_t nb, const uint8_t* w, const BlockQ16_32* const* x, float* y, int64_t ldy, int lo, int hi) {
  switch (nt) {
    case 1: tile<F, 1>(nb, w, x, y, ldy, lo, hi); break;
    case 2: tile<F, 2>(nb, w, x, y, ldy, lo, hi); break;
    case 3: tile<F, 3>(nb, w, x, y, ldy, lo, hi); break;
    case 4: tile<F, 4>(nb, w, x, y, ldy, lo, hi); break;
    case 5: tile<F, 5>(nb, w, x, y, ldy, lo, hi); break;
    default: tile<F, 6>(nb, w, x, y, ldy, lo, hi); break;
  }
}

template <typename F>
void packed_rows(int64_t K, const uint8_t* packed, int64_t n0, int64_t n1, const void* xv, int64_t T, float* y,
                 int64_t N) {
  constexpr int P = kRows8Pair;
  const int64_t nb = K / 32;
  const size_t pair_bytes = 2 * size_t(nb) * F::kBlock;
  const auto* x = static_cast<const BlockQ16_32*>(xv);
  for (int64_t p = n0 / P; p * P < n1; ++p) {  // a pair past N's last multiple of 16: zero rows, never stored
    const int64_t base = p * P;
    const int lo = int(n0 > base ? n0 - base : 0), hi = int(n1 - base < P ? n1 - base : P);
    const uint8_t* w = packed + size_t(p) * pair_bytes;
    const BlockQ16_32* xt[kTile];
    for (int64_t t0 = 0, nt = 0; t0 < T; t0 += nt) {
      nt = tile_rows(kTile, T - t0);  // as the GEMM splits its rows (gemm_kernels.hpp)
      for (int64_t i = 0; i < nt; ++i) xt[i] = x + (t0 + i) * nb;
      tile_nt<F>(int(nt), nb, w, xt, y + t0 * N + base, N, lo, hi);
    }
  }
}

}  // namespace
}  // namespace tock

#pragma GCC pop_options

namespace tock {

PackedFn packed_kernel_avx2(DType t) {
  switch (t) {
    case DType::Q8_0: return packed_rows<Q8_0P>;
    case DType::Q4_0: return packed_rows<Q4_0P>;
    case DType::Q4_1: return packed_rows<Q4_1P>;
    default: return nullptr;
  }
}

}  // namespace tock
