// sgemm: the blocked, packed, threaded f32 GEMM against sgemm_ref (the triple loop) for every
// transpose mode at every ISA level this CPU has, on odd sizes (edge tiles in M and N, K across
// the kSgemmKc block boundary), padded leading dimensions and accumulate mode; threaded results
// bit for bit the single-threaded ones; bad arguments rejected.
//
// Tolerance: both sum the same f32 products, in other orders (K blocks, FMA rounding), so an
// element may differ by a few ulps of its partial sums: |Δ| ≤ 2e-6 · (Σ_k |a_k·b_k| + |C₀|),
// ~30x the f32 unit roundoff (6e-8), far below what one lost or doubled product would cost.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/matmul_backward.hpp"
#include "kernels/sgemm.hpp"
#include "kernels/sgemm_kernels.hpp"

namespace tock {
namespace {

std::vector<float> random_vec(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

std::vector<Isa> isas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
    if (i <= detected_isa()) out.push_back(i);
  return out;
}

struct Problem {
  SgemmArgs g;
  std::vector<float> A, B, C;
};

// Operands with leading dimensions padded by 3 (garbage there must not be read into C).
Problem make(Op op_a, Op op_b, int64_t M, int64_t N, int64_t K, bool accumulate, uint32_t seed) {
  Problem p;
  SgemmArgs& g = p.g;
  g.op_a = op_a;
  g.op_b = op_b;
  g.M = M;
  g.N = N;
  g.K = K;
  g.accumulate = accumulate;
  const int64_t a_rows = op_a == Op::NoTrans ? M : K, a_cols = op_a == Op::NoTrans ? K : M;
  const int64_t b_rows = op_b == Op::NoTrans ? K : N, b_cols = op_b == Op::NoTrans ? N : K;
  g.lda = a_cols + 3;
  g.ldb = b_cols + 3;
  g.ldc = N + 3;
  p.A = random_vec(a_rows * g.lda, seed);
  p.B = random_vec(b_rows * g.ldb, seed + 1);
  p.C = random_vec(M * g.ldc, seed + 2);
  return p;
}

// Σ_k |a·b| per element: the scale of the rounding error.
std::vector<double> abs_scale(const Problem& p) {
  const SgemmArgs& g = p.g;
  std::vector<double> s(static_cast<size_t>(g.M * g.N), 0.0);
  for (int64_t i = 0; i < g.M; ++i)
    for (int64_t j = 0; j < g.N; ++j)
      for (int64_t k = 0; k < g.K; ++k) {
        const float a = g.op_a == Op::Trans ? p.A[size_t(k * g.lda + i)] : p.A[size_t(i * g.lda + k)];
        const float b = g.op_b == Op::Trans ? p.B[size_t(j * g.ldb + k)] : p.B[size_t(k * g.ldb + j)];
        s[size_t(i * g.N + j)] += std::fabs(double(a) * double(b));
      }
  return s;
}

void expect_matches_ref(Op op_a, Op op_b, int64_t M, int64_t N, int64_t K, bool accumulate,
                        Isa isa) {
  SCOPED_TRACE(testing::Message() << "opA=" << int(op_a) << " opB=" << int(op_b) << " M=" << M
                                  << " N=" << N << " K=" << K << " acc=" << accumulate
                                  << " isa=" << isa_name(isa));
  Problem fast = make(op_a, op_b, M, N, K, accumulate, uint32_t(M * 7 + N * 13 + K));
  Problem ref = fast;
  fast.g.A = fast.A.data();
  fast.g.B = fast.B.data();
  fast.g.C = fast.C.data();
  ref.g.A = ref.A.data();
  ref.g.B = ref.B.data();
  ref.g.C = ref.C.data();
  sgemm_isa(fast.g, isa, true);
  sgemm_ref(ref.g);
  const std::vector<double> scale = abs_scale(ref);
  int bad = 0;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N + 3; ++j) {
      const size_t at = size_t(i * fast.g.ldc + j);
      if (j >= N) {  // the padding of C is never written
        if (fast.C[at] != ref.C[at] && ++bad < 5) ADD_FAILURE() << "padding written at " << i << "," << j;
        continue;
      }
      const double tol = 2e-6 * (scale[size_t(i * N + j)] + (accumulate ? 1.0 : 0.0)) + 1e-30;
      if (std::fabs(double(fast.C[at]) - double(ref.C[at])) > tol && ++bad < 5)
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << fast.C[at] << ", ref " << ref.C[at];
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST(Sgemm, MatchesReferenceForEveryTransposeOnOddSizes) {
  // Each of 1, 3, 17, 65, 257 in every role; K = 257 and 600 cross the 256-deep K block.
  const std::tuple<int64_t, int64_t, int64_t> shapes[] = {
      {1, 1, 1},   {3, 17, 65},  {17, 3, 257}, {65, 257, 3}, {257, 65, 17},
      {1, 257, 65}, {257, 1, 3}, {17, 65, 600}, {65, 17, 1},
  };
  for (Isa isa : isas())
    for (Op op_a : {Op::NoTrans, Op::Trans})
      for (Op op_b : {Op::NoTrans, Op::Trans})
        for (const auto& [M, N, K] : shapes)
          for (bool acc : {false, true}) expect_matches_ref(op_a, op_b, M, N, K, acc, isa);
}

TEST(Sgemm, LargeSquareMatchesReference) {
  for (Isa isa : isas()) expect_matches_ref(Op::NoTrans, Op::Trans, 257, 257, 257, true, isa);
}

TEST(Sgemm, ThreadedIsBitwiseSingleThreaded) {
  const int before = thread_count();
  for (Isa isa : isas()) {
    for (Op op_a : {Op::NoTrans, Op::Trans}) {
      for (Op op_b : {Op::NoTrans, Op::Trans}) {
        Problem p = make(op_a, op_b, 131, 97, 530, true, 5);
        std::vector<float> single = p.C;
        SgemmArgs g = p.g;
        g.A = p.A.data();
        g.B = p.B.data();
        g.C = single.data();
        sgemm_isa(g, isa, false);
        for (int threads : {2, 3}) {
          set_thread_count(threads);
          std::vector<float> multi = p.C;
          g.C = multi.data();
          sgemm_isa(g, isa, true);
          EXPECT_EQ(0, std::memcmp(single.data(), multi.data(), single.size() * sizeof(float)))
              << isa_name(isa) << " threads=" << threads;
        }
      }
    }
  }
  set_thread_count(before);
}

// The AVX2 strip transposes (packing op(A) = A and op(B) = Bᵀ) move exactly the values of the
// element loop, bit for bit, on depths around the 8-wide step, and write nothing past the strip.
TEST(Sgemm, StripTransposesEqualTheElementLoop) {
  if (detected_isa() < Isa::Avx2) GTEST_SKIP() << "no AVX2 on this CPU";
  const struct {
    SgemmTransposeFn fn;
    int64_t rows;
  } cases[] = {{sgemm_transpose6_avx2, 6}, {sgemm_transpose16_avx2, 16}};
  for (const auto& c : cases) {
    for (int64_t kc : {1, 7, 8, 9, 16, 23, 256, 257}) {
      const int64_t ld = kc + 5;
      const auto src = random_vec(c.rows * ld, uint32_t(kc));
      std::vector<float> fast(size_t(kc * c.rows + 8), -7.0f), ref = fast;
      c.fn(fast.data(), src.data(), ld, kc);
      sgemm_transpose_ref(ref.data(), src.data(), ld, kc, c.rows);
      EXPECT_EQ(0, std::memcmp(fast.data(), ref.data(), fast.size() * sizeof(float)))
          << "rows=" << c.rows << " kc=" << kc;
      EXPECT_EQ(fast[size_t(kc * c.rows)], -7.0f) << "rows=" << c.rows << " kc=" << kc;
    }
  }
}

TEST(Sgemm, EmptyDepthZeroesOrKeepsC) {
  Problem p = make(Op::NoTrans, Op::NoTrans, 3, 5, 0, false, 9);
  p.g.A = p.A.data();
  p.g.B = p.B.data();
  p.g.C = p.C.data();
  const std::vector<float> before = p.C;
  p.g.accumulate = true;
  sgemm(p.g);
  EXPECT_EQ(p.C, before);
  p.g.accumulate = false;
  sgemm(p.g);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(p.C[size_t(i * p.g.ldc + j)], 0.0f);
}

TEST(Sgemm, RejectsBadLeadingDimension) {
  std::vector<float> a(12), b(12), c(12);
  SgemmArgs g;
  g.M = 3;
  g.N = 4;
  g.K = 3;
  g.A = a.data();
  g.lda = 3;
  g.B = b.data();
  g.ldb = 3;  // op(B) is (3, 4): needs ldb >= 4
  g.C = c.data();
  g.ldc = 4;
  try {
    sgemm(g);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ldb=3"), std::string::npos) << e.what();
  }
}

// matmul_forward/backward (now on sgemm) against their _ref loops at odd sizes, and threaded
// runs bitwise equal to single-threaded ones (resume determinism).
TEST(Sgemm, MatmulForwardBackwardMatchReference) {
  const int64_t N = 67, C = 65, OC = 259;
  const auto inp = random_vec(N * C, 1), w = random_vec(OC * C, 2), b = random_vec(OC, 3),
             dout = random_vec(N * OC, 4);
  std::vector<float> out(size_t(N * OC)), out_ref(size_t(N * OC));
  matmul_forward(out.data(), inp.data(), w.data(), b.data(), N, C, OC);
  matmul_forward_ref(out_ref.data(), inp.data(), w.data(), b.data(), N, C, OC);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], out_ref[i], 1e-5f) << i;

  auto dinp = random_vec(N * C, 5), dw = random_vec(OC * C, 6), db = random_vec(OC, 7);
  auto dinp_ref = dinp, dw_ref = dw, db_ref = db;
  matmul_backward(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC);
  matmul_backward_ref(dinp_ref.data(), dw_ref.data(), db_ref.data(), dout.data(), inp.data(),
                      w.data(), N, C, OC);
  for (size_t i = 0; i < dinp.size(); ++i) ASSERT_NEAR(dinp[i], dinp_ref[i], 1e-4f) << i;
  for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], dw_ref[i], 1e-4f) << i;
  for (size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(db[i], db_ref[i], 1e-4f) << i;

  const int before = thread_count();
  std::vector<float> runs[2];
  for (int t = 0; t < 2; ++t) {
    set_thread_count(t == 0 ? 1 : 3);
    auto di = dinp, dW = dw, dB = db;
    matmul_forward(out.data(), inp.data(), w.data(), b.data(), N, C, OC);
    matmul_backward(di.data(), dW.data(), dB.data(), dout.data(), inp.data(), w.data(), N, C, OC);
    runs[t] = out;
    runs[t].insert(runs[t].end(), di.begin(), di.end());
    runs[t].insert(runs[t].end(), dW.begin(), dW.end());
    runs[t].insert(runs[t].end(), dB.begin(), dB.end());
  }
  set_thread_count(before);
  EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * sizeof(float)));
}

}  // namespace
}  // namespace tock
