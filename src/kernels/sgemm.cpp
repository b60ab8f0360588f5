// sgemm's blocked driver (GotoBLAS/BLIS loop nest): N in nc-wide panels, K in kSgemmKc blocks;
// each (panel, block) of B is packed once into micro-panels (zero-padded to whole micro-tiles,
// transposes resolved here so the micro-kernels see one layout), then threads take blocks of C,
// pack their rows of A and run the micro-kernel. Block sizes only choose which elements one
// task owns, never the order of any element's sum: hence threads-invariant.
#include "kernels/sgemm.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/sgemm_kernels.hpp"

namespace tock {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
float* aligned64(float* p) {
  return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64 / sizeof(float);
}

// The packs that keep rows: row k (stride ld) holds w values of the block; strip t gets values
// [t·r, t·r + r) of every row, the last strip zero-padded: dst[t][k][j]. Row by row, so each
// source row is read once, front to back: strip by strip walked all kc rows once per strip,
// missing the cache on each when the row stride is a page or more (dW's dYᵀ and X).
template <int64_t R>
void pack_rows_fixed(float* dst, const float* src, int64_t ld, int64_t kc, int64_t full) {
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t t = 0; t < full; ++t)
      std::memcpy(dst + (t * kc + k) * R, src + k * ld + t * R, R * sizeof(float));
}
void pack_rows(float* dst, const float* src, int64_t ld, int64_t kc, int64_t w, int64_t r) {
  const int64_t full = w / r, rem = w - full * r;
  if (r == 6) {
    pack_rows_fixed<6>(dst, src, ld, kc, full);
  } else if (r == 16) {
    pack_rows_fixed<16>(dst, src, ld, kc, full);
  } else {
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t t = 0; t < full; ++t)
        std::memcpy(dst + (t * kc + k) * r, src + k * ld + t * r, size_t(r) * sizeof(float));
  }
  if (rem == 0) return;
  float* d = dst + full * kc * r;
  std::memset(d, 0, size_t(kc * r) * sizeof(float));
  for (int64_t k = 0; k < kc; ++k)
    std::memcpy(d + k * r, src + k * ld + full * r, size_t(rem) * sizeof(float));
}

// The packs that transpose: strip t takes r rows of the source (stride ld), kc deep, to
// dst[t][k][j] = src[(t·r + j)·ld + k]; the kernel's fast transpose for full strips if it has one.
void pack_transposed(float* dst, const float* src, int64_t ld, int64_t kc, int64_t w, int64_t r,
                     SgemmTransposeFn fast) {
  for (int64_t t = 0; t < ceil_div(w, r); ++t) {
    float* d = dst + t * kc * r;
    const float* s = src + t * r * ld;
    const int64_t rows = std::min(r, w - t * r);
    if (rows == r && fast) {
      fast(d, s, ld, kc);
      continue;
    }
    if (rows < r) std::memset(d, 0, size_t(kc * r) * sizeof(float));
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t k = 0; k < kc; ++k) d[k * r + j] = s[j * ld + k];
  }
}

// Rows [i0, i0 + m) × depth [k0, k0 + kc) of op(A) as mr-row strips: dst[s][k][r].
void pack_a(float* dst, const SgemmArgs& g, const SgemmKernel& kern, int64_t i0, int64_t m,
            int64_t k0, int64_t kc) {
  if (g.op_a == Op::NoTrans)
    pack_transposed(dst, g.A + i0 * g.lda + k0, g.lda, kc, m, kern.mr, kern.pack_a_rows);
  else
    pack_rows(dst, g.A + k0 * g.lda + i0, g.lda, kc, m, kern.mr);
}

// Depth [k0, k0 + kc) × columns [j0, j0 + n) of op(B) as nr-column strips: dst[s][k][c].
void pack_b(float* dst, const SgemmArgs& g, const SgemmKernel& kern, int64_t j0, int64_t n,
            int64_t k0, int64_t kc) {
  if (g.op_b == Op::NoTrans)
    pack_rows(dst, g.B + k0 * g.ldb + j0, g.ldb, kc, n, kern.nr);
  else
    pack_transposed(dst, g.B + j0 * g.ldb + k0, g.ldb, kc, n, kern.nr, kern.pack_b_rows);
}

SgemmKernel kernel_for(Isa isa) {
  const Isa have = detected_isa();
  if (isa > have) isa = have;
  switch (isa) {
    case Isa::Avx512: return sgemm_kernel_avx512();
    case Isa::Avx2: return sgemm_kernel_avx2();
    case Isa::Scalar: break;
  }
  return sgemm_kernel_scalar();
}

void check(const SgemmArgs& g) {
  if (g.M < 0 || g.N < 0 || g.K < 0)
    fail("sgemm: negative size (M=", g.M, ", N=", g.N, ", K=", g.K, ")");
  const int64_t a_cols = g.op_a == Op::NoTrans ? g.K : g.M;
  const int64_t b_cols = g.op_b == Op::NoTrans ? g.N : g.K;
  if (g.lda < a_cols || g.ldb < b_cols || g.ldc < g.N)
    fail("sgemm: leading dimension too small (lda=", g.lda, " < ", a_cols, ", ldb=", g.ldb,
         " < ", b_cols, " or ldc=", g.ldc, " < ", g.N, ")");
}

// One (m, n) block of C from packed A (m rows) and packed B (n columns), depth kc.
void macro_tile(const SgemmKernel& kern, const float* apack, const float* bpack, float* c,
                int64_t ldc, int64_t m, int64_t n, int64_t kc, bool load_c) {
  const int64_t mr = kern.mr, nr = kern.nr;
  alignas(64) float edge[16 * 64];  // one micro-tile (mr·nr <= 16·64)
  for (int64_t jr = 0; jr < n; jr += nr) {
    const int64_t cols = std::min(nr, n - jr);
    const float* bp = bpack + (jr / nr) * kc * nr;
    for (int64_t ir = 0; ir < m; ir += mr) {
      const int64_t rows = std::min(mr, m - ir);
      const float* ap = apack + (ir / mr) * kc * mr;
      float* ct = c + ir * ldc + jr;
      // The next tile's C rows, fetched while this one computes: the kernel loads its C
      // first, and a miss there stalls every FMA behind it.
      if (load_c) {
        const bool down = ir + mr < m;
        if (down || jr + nr < n) {
          const float* cn = down ? ct + mr * ldc : c + jr + nr;
          const int64_t rn = down ? std::min(mr, m - ir - mr) : std::min(mr, m);
          for (int64_t r = 0; r < rn; ++r) {
            __builtin_prefetch(cn + r * ldc, 1);
            __builtin_prefetch(cn + r * ldc + nr - 1, 1);
          }
        }
      }
      if (rows == mr && cols == nr) {
        kern.fn(kc, ap, bp, ct, ldc, load_c);
        continue;
      }
      // A partial tile: the same kernel on a full-size copy, so the same arithmetic.
      for (int64_t r = 0; r < rows; ++r)
        std::memcpy(edge + r * nr, ct + r * ldc, size_t(cols) * sizeof(float));
      kern.fn(kc, ap, bp, edge, nr, load_c);
      for (int64_t r = 0; r < rows; ++r)
        std::memcpy(ct + r * ldc, edge + r * nr, size_t(cols) * sizeof(float));
    }
  }
}

void for_range(bool threaded, int64_t n, const auto& fn) {
  if (threaded)
    parallel_for(n, fn);
  else
    fn(int64_t{0}, n);
}

// About 96 rows of A per tile (a packed 96×256 block, 96 KB, stays in L2): in micro-strips.
int64_t kMcStrips(int64_t mr) { return std::max(int64_t{1}, 96 / mr); }

// C cut into m × n tiles, each a run of whole micro-strips (tile i of t over s strips holds
// strips [i·s/t, (i+1)·s/t): sizes differ by at most one strip). Row tiles hold at most
// kMcStrips strips. On the pool (want = 4·threads) the count is made a multiple of `want`
// where the sizes allow, so the pool's equal chunks are equal work: 43 row tiles of a
// 4096-row C left one thread a 1-tile last chunk while the other ran 6 (~10% idle).
struct Tiling {
  int64_t m, n;
};
Tiling tiling(int64_t strips_m, int64_t strips_n, int64_t mr, int64_t want) {
  const int64_t base_m = ceil_div(strips_m, kMcStrips(mr));
  if (want <= 1) return {base_m, 1};
  Tiling best{0, 0};
  for (int64_t tn = 1; tn <= std::min(strips_n, want); ++tn)
    for (int64_t tm = base_m; tm <= std::min(strips_m, base_m + want); ++tm)
      if ((tm * tn) % want == 0 && (best.m == 0 || tm * tn < best.m * best.n)) best = {tm, tn};
  if (best.m != 0) return best;
  return {base_m, std::min(strips_n, ceil_div(want, base_m))};  // too small to even out
}

void run(const SgemmArgs& g, const SgemmKernel& kern, bool threaded) {
  check(g);
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.M; ++i) std::memset(g.C + i * g.ldc, 0, size_t(g.N) * sizeof(float));
    return;
  }
  const int64_t mr = kern.mr, nr = kern.nr;
  // The GotoBLAS nest: for each (nc-wide, kc-deep) panel of B, packed once and shared, the
  // threads take (mc × nc2) blocks of C: a packed mc·kc block of A (~96 KB) stays in L2 while
  // each nr-wide strip of B (16-32 KB) sits in L1.
  const int64_t strips_m = ceil_div(g.M, mr);
  const int64_t mc = ceil_div(strips_m, ceil_div(strips_m, kMcStrips(mr))) * mr;  // A tile rows
  const int64_t nc = std::min(int64_t{1024}, round_up(g.N, nr));
  const int64_t kc_max = std::min(kSgemmKc, g.K);
  // Packing buffers: every float read is written first, so they are not zeroed (a zeroed
  // 1 MB per call was ~2% of a training step).
  const auto bbuf = std::make_unique_for_overwrite<float[]>(size_t(nc * kc_max + 16));
  float* const bpack = aligned64(bbuf.get());

  for (int64_t j0 = 0; j0 < g.N; j0 += nc) {
    const int64_t n = std::min(nc, g.N - j0);
    const int64_t strips = ceil_div(n, nr);
    for (int64_t k0 = 0; k0 < g.K; k0 += kSgemmKc) {
      const int64_t kc = std::min(kSgemmKc, g.K - k0);
      const bool load_c = g.accumulate || k0 > 0;
      for_range(threaded, strips, [&](int64_t s0, int64_t s1) {
        const int64_t c0 = s0 * nr, c1 = std::min(n, s1 * nr);
        pack_b(bpack + s0 * kc * nr, g, kern, j0 + c0, c1 - c0, k0, kc);
      });
      // Tiles of C (whole micro-strips; which thread owns a tile never changes a sum's order).
      const Tiling tl = tiling(strips_m, strips, mr, threaded ? 4 * int64_t{thread_count()} : 1);
      for_range(threaded, tl.m * tl.n, [&](int64_t t0, int64_t t1) {
        const auto abuf = std::make_unique_for_overwrite<float[]>(size_t(mc * kc + 16));
        float* const apack = aligned64(abuf.get());
        int64_t packed_it = -1;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t it = t / tl.n, jt = t % tl.n;
          const int64_t i0 = it * strips_m / tl.m * mr;
          const int64_t m = std::min((it + 1) * strips_m / tl.m * mr, g.M) - i0;
          if (it != packed_it) {
            pack_a(apack, g, kern, i0, m, k0, kc);
            packed_it = it;
          }
          const int64_t jc0 = jt * strips / tl.n * nr;
          const int64_t jn = std::min((jt + 1) * strips / tl.n * nr, n) - jc0;
          macro_tile(kern, apack, bpack + (jc0 / nr) * kc * nr, g.C + i0 * g.ldc + j0 + jc0,
                     g.ldc, m, jn, kc, load_c);
        }
      });
    }
  }
}

}  // namespace

void sgemm_isa(const SgemmArgs& g, Isa isa, bool threaded) { run(g, kernel_for(isa), threaded); }

void sgemm(const SgemmArgs& g) {
  static const SgemmKernel kern = kernel_for(active_isa());
  run(g, kern, true);
}

void sgemm(Op op_a, Op op_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  sgemm(SgemmArgs{op_a, op_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate});
}

}  // namespace tock
