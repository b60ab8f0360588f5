// The small-T kernels (matmul_kernels.hpp's SmallTFn: a few decoding sequences at once) against
// the scalar row kernels, their integer reference, on random weights with awkward sizes: N not a
// multiple of the 8-row group, K/32 not a multiple of the 16-block panel chunk, every T from 2
// to 15 (and 16 for the kernel's largest tile). Tolerance as in test_matmul.cpp: the same
// integers, f32 rounding in another order, |Δ| ≤ 1e-5 · Σ|w̃·x̃| per output.
// Also what lets a server batch sequences without changing their results: an output depends
// only on its own weight row and activation row, bit for bit, whatever T, the row range or the
// thread split; and matmul() at T = 2..15 (small-T kernel, or the GEMM from kGemmMinRows on)
// matches the scalar path.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/quantize_activations.hpp"
#include "matmul_test_data.hpp"

namespace tock {
namespace {

const DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1};

bool has_avx2() { return int(detected_isa()) >= int(Isa::Avx2); }

// x (T, K) as the kernels take it: T rows of K/32 BlockQ16_32.
std::vector<BlockQ16_32> quantized(const std::vector<float>& x, int64_t T, int64_t K) {
  std::vector<BlockQ16_32> q(size_t(T * (K / 32)));
  for (int64_t t = 0; t < T; ++t) quantize_row_q16_32(x.data() + t * K, q.data() + t * (K / 32), K);
  return q;
}

// y (T, N) from the scalar row kernel, one weight row and activation row at a time.
std::vector<float> scalar_rows(const TensorView& W, const std::vector<BlockQ16_32>& xq, int64_t T) {
  const int64_t K = W.ne[0], N = W.ne[1];
  const RowKernel k = row_kernel_scalar(W.type);
  std::vector<float> y(size_t(T * N));
  for (int64_t t = 0; t < T; ++t) {
    const void* row = xq.data() + t * (K / 32);
    for (int64_t n = 0; n < N; ++n) k.dot(K, W.row(n), &row, 1, &y[size_t(t * N + n)]);
  }
  return y;
}

std::vector<float> small_rows(SmallTFn fn, const TensorView& W, const std::vector<BlockQ16_32>& xq, int64_t T,
                              int64_t n0, int64_t n1, std::vector<float> y) {
  fn(W.ne[0], static_cast<const uint8_t*>(W.data), W.row_bytes(), n0, n1, xq.data(), T, y.data(), W.ne[1]);
  return y;
}

TEST(MatmulSmallT, MatchesScalarRowKernelsOnAwkwardSizes) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(71);
  for (DType type : kTypes) {
    const SmallTFn fn = small_t_kernel_avx2(type);
    ASSERT_NE(fn, nullptr) << dtype_name(type);
    // 1 block; 17 blocks = a full 16-block chunk and 1 more; T = 1 sums 8 blocks at a time and
    // ends a row's pass in 1..2, 3..4 or 5..7 blocks each its own way: 14 = 8 + 6, 18 = 8 + 8 + 2
    // (K = 576, the model's), 75 = a 64-block pass, then 8 and 3 more.
    for (int64_t K : {32, 448, 544, 576, 2400}) {
      for (int64_t N : {5, 21}) {  // a partial group alone; 2 groups and a partial one
        const auto w = random_weights(type, K, N, rng);
        const TensorView W = view(type, K, N, w);
        for (int64_t T = 1; T <= kSmallMaxT; ++T) {
          SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N << " T=" << T);
          const auto x = random_x(T * K, rng);
          const auto xq = quantized(x, T, K);
          const auto scale = abs_scale(W, round_trip(type, x, K), T);
          const auto ref = scalar_rows(W, xq, T);
          const auto fast = small_rows(fn, W, xq, T, 0, N, std::vector<float>(size_t(T * N), NAN));
          EXPECT_LE(max_rel(fast, ref, scale), 1e-5);
        }
      }
    }
  }
}

TEST(MatmulSmallT, OutputDependsOnlyOnItsRowNotOnTOrRange) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(72);
  const int64_t N = 29, T = 7;
  for (int64_t K : {448, 544, 2400}) {
    for (DType type : kTypes) {
      SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K);
      const SmallTFn fn = small_t_kernel_avx2(type);
      const auto w = random_weights(type, K, N, rng);
      const TensorView W = view(type, K, N, w);
      const auto xq = quantized(random_x(T * K, rng), T, K);
      const auto all = small_rows(fn, W, xq, T, 0, N, std::vector<float>(size_t(T * N), NAN));
      // Ranges that cut groups anywhere, as parallel_for and matmul_many's concatenation may.
      std::vector<float> pieces(size_t(T * N), NAN);
      for (auto [n0, n1] : {std::pair<int64_t, int64_t>{0, 3}, {3, 14}, {14, 15}, {15, N}})
        pieces = small_rows(fn, W, xq, T, n0, n1, pieces);
      EXPECT_EQ(0, std::memcmp(all.data(), pieces.data(), all.size() * sizeof(float))) << "row ranges";
      // Each activation row alone (T = 1) gives its row of the batch, bit for bit.
      for (int64_t t = 0; t < T; ++t) {
        const std::vector<BlockQ16_32> one(xq.begin() + t * (K / 32), xq.begin() + (t + 1) * (K / 32));
        const auto alone = small_rows(fn, W, one, 1, 0, N, std::vector<float>(size_t(N), NAN));
        EXPECT_EQ(0, std::memcmp(alone.data(), all.data() + t * N, size_t(N) * sizeof(float))) << "t=" << t;
      }
    }
  }
}

TEST(MatmulSmallT, MatmulAtEveryDecodeBatchSizeMatchesScalar) {
  std::mt19937 rng(73);
  const int64_t K = 96, N = 37;
  for (DType type : kTypes) {
    const auto w = random_weights(type, K, N, rng);
    const TensorView W = view(type, K, N, w);
    for (int64_t T = 2; T <= 15; ++T) {
      SCOPED_TRACE(::testing::Message() << dtype_name(type) << " T=" << T);
      const auto x = random_x(T * K, rng);
      const auto scale = abs_scale(W, round_trip(type, x, K), T);
      std::vector<float> ref(size_t(T * N)), fast(size_t(T * N), NAN);
      matmul_isa(Isa::Scalar, W, x.data(), ref.data(), T);
      matmul(W, x.data(), fast.data(), T);
      EXPECT_LE(max_rel(fast, ref, scale), 1e-5);
    }
  }
}

// A server puts a decoding sequence's token in a forward pass of 1..15 rows (small-T kernel) or,
// when a prompt chunk shares the tick, of 16 or more (the GEMM): the two must give the same bits,
// or greedy output would depend on the batch. matmul() at T = 23 against each row alone.
TEST(MatmulSmallT, GemmRowsEqualSmallTRowsBitForBit) {
  if (active_isa() != Isa::Avx2) GTEST_SKIP() << "the small-T kernel is the AVX2 path";
  std::mt19937 rng(75);
  const int64_t N = 45, T = 23;
  for (int64_t K : {448, 544, 2400}) {
    for (DType type : kTypes) {
      SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K);
      const auto w = random_weights(type, K, N, rng);
      const TensorView W = view(type, K, N, w);
      const auto x = random_x(T * K, rng);
      std::vector<float> batch(size_t(T * N), NAN);
      matmul(W, x.data(), batch.data(), T);
      for (int64_t t = 0; t < T; ++t) {
        std::vector<float> alone(size_t(N), NAN);
        matmul(W, x.data() + t * K, alone.data(), 1);
        EXPECT_EQ(0, std::memcmp(alone.data(), batch.data() + t * N, size_t(N) * sizeof(float))) << "t=" << t;
      }
    }
  }
}

TEST(MatmulSmallT, ThreadedEqualsSingleThreadedBitForBit) {
  for (DType type : kTypes)
    for (int64_t T : {2, 4, 5})
      expect_threaded_equals_single_threaded(type, 544, 301, T, 74 + uint32_t(T));
}

TEST(MatmulSmallT, ExtremeCodesAndActivationsDoNotOverflow) {
  for (DType type : kTypes) expect_extreme_codes_match_reference(type, 544, 13, 4);
}

}  // namespace
}  // namespace tock
