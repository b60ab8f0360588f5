// sgemm's blocked driver (GotoBLAS/BLIS loop nest): N in nc-wide panels, K in kSgemmKc blocks;
// each (panel, block) of B is packed once into micro-panels (zero-padded to whole micro-tiles,
// transposes resolved here so the micro-kernels see one layout), then threads take blocks of C,
// pack their rows of A and run the micro-kernel. Block sizes only choose which elements one
// task owns, never the order of any element's sum: hence threads-invariant.
#include "kernels/sgemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/sgemm_kernels.hpp"

namespace tock {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Rows [i0, i0 + m) × depth [k0, k0 + kc) of op(A) as mr-row strips: dst[s][k][r].
void pack_a(float* dst, const SgemmArgs& g, int64_t i0, int64_t m, int64_t k0, int64_t kc,
            int64_t mr) {
  for (int64_t s = 0; s < ceil_div(m, mr); ++s) {
    float* d = dst + s * kc * mr;
    const int64_t rows = std::min(mr, m - s * mr);
    const int64_t r0 = i0 + s * mr;
    if (rows < mr) std::memset(d, 0, size_t(kc * mr) * sizeof(float));
    if (g.op_a == Op::NoTrans) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = g.A + (r0 + r) * g.lda + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * mr + r] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = g.A + (k0 + k) * g.lda + r0;
        for (int64_t r = 0; r < rows; ++r) d[k * mr + r] = src[r];
      }
    }
  }
}

// Depth [k0, k0 + kc) × columns [j0, j0 + n) of op(B) as nr-column strips: dst[s][k][c].
void pack_b(float* dst, const SgemmArgs& g, int64_t j0, int64_t n, int64_t k0, int64_t kc,
            int64_t nr) {
  for (int64_t s = 0; s < ceil_div(n, nr); ++s) {
    float* d = dst + s * kc * nr;
    const int64_t cols = std::min(nr, n - s * nr);
    const int64_t c0 = j0 + s * nr;
    if (cols < nr) std::memset(d, 0, size_t(kc * nr) * sizeof(float));
    if (g.op_b == Op::NoTrans) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = g.B + (k0 + k) * g.ldb + c0;
        for (int64_t c = 0; c < cols; ++c) d[k * nr + c] = src[c];
      }
    } else {
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = g.B + (c0 + c) * g.ldb + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * nr + c] = src[k];
      }
    }
  }
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
  const int64_t mc = std::min(round_up(96, mr), round_up(g.M, mr));
  const int64_t nc = std::min(int64_t{1024}, round_up(g.N, nr));
  const int64_t kc_max = std::min(kSgemmKc, g.K);
  std::vector<float> bbuf(size_t(nc * kc_max + 16));
  float* bpack = bbuf.data();
  bpack += (64 - reinterpret_cast<uintptr_t>(bpack) % 64) % 64 / sizeof(float);

  for (int64_t j0 = 0; j0 < g.N; j0 += nc) {
    const int64_t n = std::min(nc, g.N - j0);
    const int64_t strips = ceil_div(n, nr);
    for (int64_t k0 = 0; k0 < g.K; k0 += kSgemmKc) {
      const int64_t kc = std::min(kSgemmKc, g.K - k0);
      const bool load_c = g.accumulate || k0 > 0;
      for_range(threaded, strips, [&](int64_t s0, int64_t s1) {
        const int64_t c0 = s0 * nr, c1 = std::min(n, s1 * nr);
        pack_b(bpack + s0 * kc * nr, g, j0 + c0, c1 - c0, k0, kc, nr);
      });
      // Blocks of C: mc rows × (strips per block) strips; split N finer when M alone gives
      // the threads too few blocks. Which thread owns a block never changes a sum's order.
      const int64_t tiles_m = ceil_div(g.M, mc);
      const int64_t want = threaded ? 4 * int64_t{thread_count()} : 1;
      const int64_t splits_n = std::min(strips, ceil_div(want, tiles_m));
      const int64_t strips_per = ceil_div(strips, splits_n);
      const int64_t tiles_n = ceil_div(strips, strips_per);
      for_range(threaded, tiles_m * tiles_n, [&](int64_t t0, int64_t t1) {
        std::vector<float> abuf(size_t(mc * kc + 16));
        float* apack = abuf.data();
        apack += (64 - reinterpret_cast<uintptr_t>(apack) % 64) % 64 / sizeof(float);
        int64_t packed_it = -1;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t it = t / tiles_n, jt = t % tiles_n;
          const int64_t i0 = it * mc, m = std::min(mc, g.M - i0);
          if (it != packed_it) {
            pack_a(apack, g, i0, m, k0, kc, mr);
            packed_it = it;
          }
          const int64_t jc0 = jt * strips_per * nr, jn = std::min(strips_per * nr, n - jc0);
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
