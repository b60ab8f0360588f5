// The rows8 layout (packed_rows8.hpp) and the AVX2 kernels that read it (matmul_packed_avx2.cpp).
// The packer against its scalar inverse: every row unpacked gives the stored row's bytes back.
// The packed kernel against the unpacked AVX2 path, bit for bit (memcmp): the small-T kernel for
// T = 1..15 and the GEMM from T = 16 (matmul_isa on a view without `packed`), on random weights
// with N not a multiple of 8 or 16 and K/32 odd; also against matmul_ref within the matmul tests'
// tolerance (the same integers, f32 rounding in another order). A server's batched and lone
// decodes compare greedy log-probs exactly: the bits are the specification.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "kernels/gemm_panel.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/packed_rows8.hpp"
#include "kernels/quantize_activations.hpp"
#include "matmul_test_data.hpp"

namespace tock {
namespace {

const DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1};

bool has_avx2() { return int(detected_isa()) >= int(Isa::Avx2); }

std::vector<uint8_t> packed_of(DType t, int64_t K, int64_t N, const std::vector<uint8_t>& w) {
  std::vector<uint8_t> p(rows8_bytes(t, K, N));
  pack_rows8(t, w.data(), K, N, 0, (N + kRows8Pair - 1) / kRows8Pair, p.data());
  return p;
}

std::vector<BlockQ16_32> quantized(const std::vector<float>& x, int64_t T, int64_t K) {
  std::vector<BlockQ16_32> q(size_t(T * (K / 32)));
  for (int64_t t = 0; t < T; ++t) quantize_row_q16_32(x.data() + t * K, q.data() + t * (K / 32), K);
  return q;
}

TEST(PackedRows8, UnpacksToTheStoredRows) {
  std::mt19937 rng(3);
  for (DType type : kTypes) {
    for (int64_t K : {32, 96, 576}) {
      for (int64_t N : {1, 8, 13, 16, 24, 40}) {
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N);
        const auto w = random_weights(type, K, N, rng);
        const auto p = packed_of(type, K, N, w);
        EXPECT_EQ(p.size(), size_t((N + 15) / 16 * 16) * row_bytes(type, K));  // same bytes, pad rows aside
        const size_t rb = row_bytes(type, K);
        std::vector<uint8_t> row(rb);
        for (int64_t n = 0; n < N; ++n) {
          unpack_rows8_row(type, p.data(), K, n, row.data());
          ASSERT_EQ(0, std::memcmp(row.data(), w.data() + size_t(n) * rb, rb)) << "row " << n;
        }
        for (int64_t n = N; n % 16 != 0; ++n) {  // pad rows: zero bytes
          unpack_rows8_row(type, p.data(), K, n, row.data());
          EXPECT_EQ(std::vector<uint8_t>(rb, 0), row) << "pad row " << n;
        }
      }
    }
  }
}

TEST(PackedRows8, RefusesTypesWithoutTheLayout) {
  EXPECT_FALSE(rows8_type(DType::Q5_0));
  EXPECT_FALSE(rows8_type(DType::Q4_K));
  EXPECT_THROW(rows8_layout(DType::Q6_K), Error);
}

// y from the packed kernel over rows [n0, n1) (others left NaN).
std::vector<float> packed_y(DType type, int64_t K, int64_t N, const std::vector<uint8_t>& p,
                            const std::vector<BlockQ16_32>& xq, int64_t T, int64_t n0, int64_t n1) {
  std::vector<float> y(size_t(T * N), NAN);
  packed_kernel_avx2(type)(K, p.data(), n0, n1, xq.data(), T, y.data(), N);
  return y;
}

TEST(MatmulPackedAvx2, BitIdenticalToSmallTAndGemmAndNearReference) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(17);
  for (DType type : kTypes) {
    for (int64_t K : {32, 64, 576, 1536}) {
      for (int64_t N : {8, 13, 100, 579}) {
        const auto w = random_weights(type, K, N, rng);
        const TensorView W = view(type, K, N, w);
        const auto p = packed_of(type, K, N, w);
        for (int64_t T : {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 40}) {
          SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N << " T=" << T);
          const auto x = random_x(T * K, rng);
          const auto xq = quantized(x, T, K);
          const auto fast = packed_y(type, K, N, p, xq, T, 0, N);
          std::vector<float> want(size_t(T * N), NAN);
          if (T < kSmallMaxT) {
            small_t_kernel_avx2(type)(K, w.data(), W.row_bytes(), 0, N, xq.data(), T, want.data(), N);
          } else {
            matmul_isa(Isa::Avx2, W, x.data(), want.data(), T);  // the GEMM, W without `packed`
          }
          ASSERT_EQ(0, std::memcmp(fast.data(), want.data(), fast.size() * sizeof(float)));
          if (K <= 576 && N <= 100) {
            const auto xr = round_trip(type, x, K);
            std::vector<float> ref(size_t(T * N));
            matmul_ref(W, xr.data(), ref.data(), T);
            EXPECT_LE(max_rel(fast, ref, abs_scale(W, xr, T)), 1e-5);
          }
        }
      }
    }
  }
}

// The largest codes (every code byte 0x00, 0xFF, 0x80 or 0x7F) against |q_x| = 32767 of one sign
// per activation row: the i32 sums at their largest (Q4_0's Σq·x − 8·isum too) give the bits of
// the small-T kernel, whose sums the scalar row kernels bound.
TEST(MatmulPackedAvx2, ExtremeCodesGiveTheSmallTBits) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(61);
  const int64_t K = 1536, N = 24, T = 5;
  std::vector<float> x(size_t(T * K));
  for (int64_t i = 0; i < T * K; ++i) x[size_t(i)] = (i / K) % 2 ? -1.0f : 1.0f;
  const auto xq = quantized(x, T, K);
  for (DType type : kTypes) {
    for (int fill : {0x00, 0xFF, 0x80, 0x7F}) {
      SCOPED_TRACE(::testing::Message() << dtype_name(type) << " fill=" << fill);
      auto w = random_weights(type, K, N, rng);
      const size_t bb = dtype_info(type).block_bytes, scales = type == DType::Q4_1 ? 4 : 2;
      for (size_t off = 0; off < w.size(); off += bb) std::memset(&w[off + scales], fill, bb - scales);
      const auto p = packed_of(type, K, N, w);
      const auto fast = packed_y(type, K, N, p, xq, T, 0, N);
      std::vector<float> want(size_t(T * N), NAN);
      small_t_kernel_avx2(type)(K, w.data(), row_bytes(type, K), 0, N, xq.data(), T, want.data(), N);
      ASSERT_EQ(0, std::memcmp(fast.data(), want.data(), fast.size() * sizeof(float)));
    }
  }
}

// A row range that starts or ends inside a group (matmul_many splits the concatenation of its
// matrices, not each matrix): the rows in range as over the whole matrix, the others untouched.
TEST(MatmulPackedAvx2, RowRangesInsideGroupsWriteOnlyTheirRows) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(29);
  const int64_t K = 64, N = 45;
  for (DType type : kTypes) {
    const auto w = random_weights(type, K, N, rng);
    const auto p = packed_of(type, K, N, w);
    for (int64_t T : {1, 4, 7}) {
      const auto xq = quantized(random_x(T * K, rng), T, K);
      const auto all = packed_y(type, K, N, p, xq, T, 0, N);
      for (auto [n0, n1] : {std::pair<int64_t, int64_t>{3, 5}, {5, 21}, {8, 40}, {17, 45}, {44, 45}}) {
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " T=" << T << " rows " << n0 << ".." << n1);
        const auto part = packed_y(type, K, N, p, xq, T, n0, n1);
        for (int64_t t = 0; t < T; ++t)
          for (int64_t n = 0; n < N; ++n) {
            const float got = part[size_t(t * N + n)], want = all[size_t(t * N + n)];
            if (n >= n0 && n < n1)
              ASSERT_EQ(0, std::memcmp(&got, &want, sizeof(float))) << "t=" << t << " n=" << n;
            else
              ASSERT_TRUE(std::isnan(got)) << "t=" << t << " n=" << n << " written outside the range";
          }
      }
    }
  }
}

// The GEMM's 16-row panels built from the rows8 form: the codes and scales pack_q_panel (the
// reference decoder) gives from the stored rows, for every row of the matrix.
TEST(MatmulPackedAvx2, GemmPanelsFromRows8MatchTheReferenceDecoder) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(41);
  const int64_t K = 96, nb = K / 32, R = 16;
  for (DType type : kTypes) {
    for (int64_t N : {16, 21, 40}) {
      const auto w = random_weights(type, K, N, rng);
      const auto p = packed_of(type, K, N, w);
      for (int64_t n0 = 0; n0 < N; n0 += R) {
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " N=" << N << " panel at " << n0);
        const int rows = int(std::min<int64_t>(R, N - n0));
        std::vector<int16_t> c(size_t(nb * 32 * R)), c_ref(c.size());
        std::vector<float> d(size_t(nb * R)), m(d.size()), d_ref(d.size()), m_ref(d.size());
        ASSERT_TRUE(pack_q_panel16_rows8_avx2(type, p.data(), K, N, n0, c.data(), d.data(), m.data()));
        pack_q_panel(type, w.data() + size_t(n0) * row_bytes(type, K), row_bytes(type, K), rows, int(R), K,
                     CodeLayout::Pairs16, c_ref.data(), d_ref.data(), m_ref.data());
        for (int64_t b = 0; b < nb; ++b)
          for (int r = 0; r < rows; ++r) {
            ASSERT_EQ(d[size_t(b * R + r)], d_ref[size_t(b * R + r)]) << "d, block " << b << " row " << r;
            ASSERT_EQ(m[size_t(b * R + r)], m_ref[size_t(b * R + r)]) << "m, block " << b << " row " << r;
            for (int e = 0; e < 32; ++e) {  // element e = pair e/2, half e%2: [b][pair][row][2]
              const size_t at = size_t(b * 32 * R + (e / 2) * 2 * R + 2 * r + e % 2);
              ASSERT_EQ(c[at], c_ref[at]) << "block " << b << " row " << r << " element " << e;
            }
          }
      }
    }
  }
}

// Through the matmul entry points: a view with `packed` gives the bytes the same view without it
// gives at the active level (AVX2 here: the packed kernel below the GEMM's rows, GEMM panels from rows8 from
// there on), for one matrix, for matmul_many and for matmul_pair_then, on 1 and 2 threads.
TEST(MatmulPackedAvx2, EntryPointsGiveTheUnpackedBits) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  const int before_threads = thread_count();
  std::mt19937 rng(53);
  const int64_t K = 576;
  for (DType type : kTypes) {
    const int64_t Ns[3] = {72, 200, 200};
    std::vector<uint8_t> w[3], p[3];
    TensorView plain[3], packed[3];
    for (int i = 0; i < 3; ++i) {
      w[i] = random_weights(type, K, Ns[i], rng);
      p[i] = packed_of(type, K, Ns[i], w[i]);
      plain[i] = view(type, K, Ns[i], w[i]);
      packed[i] = plain[i];
      packed[i].packed = p[i].data();
    }
    for (int threads : {1, 2}) {
      set_thread_count(threads);
      for (int64_t T : {1, 3, 8, 16, 33}) {
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " T=" << T << " threads=" << threads);
        const auto x = random_x(T * K, rng);
        auto run = [&](const TensorView* W) {
          std::vector<std::vector<float>> y(5);
          for (int i = 0; i < 3; ++i) y[size_t(i)].assign(size_t(T * Ns[i]), NAN);
          y[3].assign(size_t(T * Ns[1]), NAN);
          y[4].assign(size_t(T * Ns[1]), NAN);
          matmul(W[0], x.data(), y[0].data(), T);
          const MatmulOut outs[2] = {{&W[1], y[1].data()}, {&W[2], y[2].data()}};
          matmul_many(outs, 2, x.data(), T);
          matmul_pair_then(W[1], W[2], x.data(), y[3].data(), y[4].data(), T, [](void*, int64_t, int64_t, int64_t) {},
                           nullptr);
          return y;
        };
        const auto a = run(plain), b = run(packed);
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_EQ(0, std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float))) << "output " << i;
      }
    }
  }
  set_thread_count(before_threads);
}

}  // namespace
}  // namespace tock
