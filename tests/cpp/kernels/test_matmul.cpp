// matmul: every supported weight type at every ISA level this CPU has, on random weights and
// awkward sizes, against matmul_ref (dequantize + f32 dot) and against the scalar integer
// kernels (the reference for the SIMD ones). Also threaded == single-threaded, bit for bit.
//
// Tolerances:
//  - Exactness: the fast path computes Σ w̃·x̃ where w̃ is the dequantized weight and x̃ the
//    activation after its 16-bit round trip (x̃ = d·q, x itself for float weights). So it must
//    match matmul_ref(W, x̃) to f32 rounding: |Δ| ≤ 1e-5 · Σ|w̃·x̃| per output (a few ulps over
//    K/32..K partial sums; Σ|w̃·x̃| is the scale that bounds rounding under cancellation).
//    SIMD vs scalar kernels: the same bound (same integers, another f32 summation order).
//  - Quantization error, vs matmul_ref(W, x) on N = 576 outputs: ≤ 1e-4 · max|y_ref|. Each x
//    (uniform in ±1, so amax ≈ 1) is rounded to a step d = amax/32767 of its block, an error
//    uniform in ±d/2: σ = d/√12 ≈ 8.8e-6, i.e. 1.5e-5 of x's σ (0.577). Over K random weights
//    the output error is then ~1.5e-5 of a typical output's σ; the largest of 576 errors (~3.5σ)
//    is ~5e-5 of a typical output, ~2e-5 of max|y| (≈ 3σ_y): 1e-4 leaves 5x headroom. (8-bit
//    activations, step amax/127, were 258x worse and needed 1e-2.) The f32 rounding inside the
//    kernels (~1e-7 relative) is far below this.
//  - Extreme codes (every weight at its largest magnitude, |x| = amax everywhere, all products of
//    one sign) must still match matmul_ref(W, x̃) to f32 rounding: no i32 partial sum wraps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dequant.hpp"
#include "kernels/matmul.hpp"
#include "kernels/quantize_activations.hpp"
#include "matmul_test_data.hpp"

namespace tock {
namespace {

class MatmulType : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulType, MatchesReferenceAndScalarAtEveryIsaOnAwkwardSizes) {
  const DType type = GetParam();
  ASSERT_TRUE(matmul_supported(type));
  const int64_t block = dtype_info(type).block_size;
  std::vector<int64_t> Ks = block == 256 ? std::vector<int64_t>{256, 768}
                                         : std::vector<int64_t>{32, 64, 768};
  if (block == 1) Ks.insert(Ks.end(), {1, 5, 37});  // not a multiple of the vector width
  std::mt19937 rng(1234 + uint32_t(type));
  for (int64_t K : Ks) {
    for (int64_t N : {1, 7, 33, 576}) {
      for (int64_t T : {1, 2, 5, 17}) {
        if (N == 576 && T > 5) continue;  // keep the test fast; T tiles are covered by N < 576
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N << " T=" << T);
        const auto w = random_weights(type, K, N, rng);
        const TensorView W = view(type, K, N, w);
        const auto x = random_x(T * K, rng);
        const auto xq = round_trip(type, x, K);
        const auto scale = abs_scale(W, xq, T);
        std::vector<float> ref(size_t(T * N)), ref_q(size_t(T * N)), scalar(size_t(T * N), NAN);
        matmul_ref(W, x.data(), ref.data(), T);
        matmul_ref(W, xq.data(), ref_q.data(), T);
        matmul_isa(Isa::Scalar, W, x.data(), scalar.data(), T);
        EXPECT_LE(max_rel(scalar, ref_q, scale), 1e-5) << "scalar vs matmul_ref on round-tripped x";
        if (N == 576) {
          const double tol = is_float_type(type) ? 1e-5 : 1e-4;
          EXPECT_LE(max_diff(scalar, ref) / std::max(max_abs(ref), 1e-30), tol) << "scalar vs matmul_ref";
        }
        for (Isa isa : isas_here()) {
          if (isa == Isa::Scalar) continue;
          std::vector<float> fast(size_t(T * N), NAN);
          matmul_isa(isa, W, x.data(), fast.data(), T);
          EXPECT_LE(max_rel(fast, scalar, scale), 1e-5) << isa_name(isa) << " vs scalar";
        }
      }
    }
  }
}

TEST_P(MatmulType, ThreadedEqualsSingleThreadedBitForBit) {
  const DType type = GetParam();
  expect_threaded_equals_single_threaded(type, dtype_info(type).block_size == 256 ? 512 : 96, 301, 6, 99);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulType,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                                           DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                           DType::Q4_K, DType::Q5_K, DType::Q6_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Matmul, TZeroWritesNothing) {
  std::mt19937 rng(1);
  const auto w = random_weights(DType::Q4_1, 64, 3, rng);
  float y = 42.0f;
  matmul(view(DType::Q4_1, 64, 3, w), nullptr, &y, 0);
  EXPECT_EQ(y, 42.0f);
}

TEST(Matmul, RejectsBadShapesAndTypes) {
  std::mt19937 rng(2);
  const auto w = random_weights(DType::Q4_1, 64, 3, rng);
  std::vector<float> x(64 * 2), y(3 * 2);
  TensorView W = view(DType::Q4_1, 64, 3, w);
  W.nbytes -= 1;
  EXPECT_THROW(matmul(W, x.data(), y.data(), 2), Error);
  W = view(DType::Q4_1, 48, 3, w);  // 48 is not whole blocks of 32
  EXPECT_THROW(matmul(W, x.data(), y.data(), 2), Error);
  W = view(DType::Q4_1, 64, 3, w);
  W.type = DType::Q2_K;
  EXPECT_FALSE(matmul_supported(DType::Q2_K));
  EXPECT_THROW(matmul(W, x.data(), y.data(), 2), Error);
  W = view(DType::Q4_1, 64, 3, w);
  W.ne[2] = 2;
  EXPECT_THROW(matmul_ref(W, x.data(), y.data(), 2), Error);
}

TEST(Matmul, UnavailableIsaIsAnError) {
  if (detected_isa() == Isa::Avx512) GTEST_SKIP() << "every level is available here";
  std::mt19937 rng(3);
  const auto w = random_weights(DType::Q8_0, 32, 1, rng);
  std::vector<float> x(32), y(1);
  EXPECT_THROW(matmul_isa(Isa::Avx512, view(DType::Q8_0, 32, 1, w), x.data(), y.data(), 1), Error);
}

TEST(QuantizeActivations, Q16_32HandWorked) {
  // amax = 2 -> d = 2/32767; x/d rounds half away from zero: 1 -> 16383.5 -> 16384.
  std::vector<float> x(64, 0.0f);
  x[0] = 1.0f;
  x[1] = -2.0f;
  x[31] = 0.5f;   // 8191.75 -> 8192
  x[30] = -1.0f;  // -16383.5 -> -16384
  x[32] = 3.0f;   // second block: its own scale
  x[33] = 1e-4f;  // 1e-4 / (3/32767) = 1.09 -> 1
  BlockQ16_32 b[2];
  quantize_row_q16_32(x.data(), b, 64);
  EXPECT_FLOAT_EQ(b[0].d, 2.0f / 32767.0f);
  EXPECT_EQ(b[0].qs[0], 16384);
  EXPECT_EQ(b[0].qs[1], -32767);
  EXPECT_EQ(b[0].qs[31], 8192);
  EXPECT_EQ(b[0].qs[30], -16384);
  EXPECT_EQ(b[0].qs[5], 0);
  EXPECT_EQ(b[0].isum, 16384 - 32767 + 8192 - 16384);
  EXPECT_FLOAT_EQ(b[1].d, 3.0f / 32767.0f);
  EXPECT_EQ(b[1].qs[0], 32767);
  EXPECT_EQ(b[1].qs[1], 1);
  EXPECT_EQ(b[1].isum, 32768);
}

TEST(QuantizeActivations, ZeroBlockHasZeroScaleAndCodes) {
  std::vector<float> zero(32, 0.0f);
  BlockQ16_32 b;
  quantize_row_q16_32(zero.data(), &b, 32);
  EXPECT_EQ(b.d, 0.0f);
  EXPECT_EQ(b.isum, 0);
  for (int16_t q : b.qs) EXPECT_EQ(q, 0);
}

// matmul_many: each output equals matmul on its own matrix bit for bit (the same row kernels on
// the same quantized x), on the shared path (T < 16, one K and format), on the fallback (a float
// matrix among quantized ones: another activation format; T = 17: the GEMM), at 1 and 3 threads.
TEST(MatmulMany, EachOutputEqualsItsOwnMatmul) {
  std::mt19937 rng(41);
  const int64_t K = 96;
  for (const std::vector<DType>& types : {std::vector<DType>{DType::Q4_1, DType::Q4_1, DType::Q4_1},
                                          std::vector<DType>{DType::Q8_0, DType::Q4_0, DType::Q6_K},
                                          std::vector<DType>{DType::Q4_1, DType::F32}}) {
    const int64_t k = types.back() == DType::Q6_K ? 256 : K;
    const std::vector<int64_t> Ns{37, 5, 130};
    std::vector<std::vector<uint8_t>> w;
    std::vector<TensorView> W;
    for (size_t i = 0; i < types.size(); ++i) w.push_back(random_weights(types[i], k, Ns[i], rng));
    for (size_t i = 0; i < types.size(); ++i) W.push_back(view(types[i], k, Ns[i], w[i]));
    for (int64_t T : {1, 3, 17}) {
      for (int threads : {1, 3}) {
        SCOPED_TRACE(::testing::Message() << dtype_name(types[0]) << "+... T=" << T << " threads=" << threads);
        const int before = thread_count();
        set_thread_count(threads);
        const auto x = random_x(T * k, rng);
        std::vector<std::vector<float>> want, got;
        std::vector<MatmulOut> outs;
        for (size_t i = 0; i < types.size(); ++i) {
          want.emplace_back(size_t(T * Ns[i]));
          got.emplace_back(size_t(T * Ns[i]), NAN);
          matmul(W[i], x.data(), want[i].data(), T);
        }
        for (size_t i = 0; i < types.size(); ++i) outs.push_back({&W[i], got[i].data()});
        matmul_many(outs.data(), int(outs.size()), x.data(), T);
        set_thread_count(before);
        for (size_t i = 0; i < types.size(); ++i)
          EXPECT_EQ(0, std::memcmp(want[i].data(), got[i].data(), want[i].size() * sizeof(float))) << "output " << i;
      }
    }
  }
}

TEST(MatmulMany, MismatchedKRunsEachAloneAndABadMatrixThrows) {
  std::mt19937 rng(42);
  const auto a = random_weights(DType::Q4_1, 64, 3, rng), b = random_weights(DType::Q4_1, 96, 3, rng);
  const TensorView Wa = view(DType::Q4_1, 64, 3, a), Wb = view(DType::Q4_1, 96, 3, b);
  const auto x = random_x(96, rng);  // Wa reads its first 64 values
  std::vector<float> ya(3), yb(3), wa(3), wb(3);
  matmul(Wa, x.data(), wa.data(), 1);
  matmul(Wb, x.data(), wb.data(), 1);
  const MatmulOut outs[2] = {{&Wa, ya.data()}, {&Wb, yb.data()}};
  matmul_many(outs, 2, x.data(), 1);
  EXPECT_EQ(ya, wa);
  EXPECT_EQ(yb, wb);
  TensorView bad = Wa;
  bad.nbytes -= 1;
  const MatmulOut bad_outs[2] = {{&Wb, yb.data()}, {&bad, ya.data()}};
  EXPECT_THROW(matmul_many(bad_outs, 2, x.data(), 1), Error);
}

// matmul_pair_then: both outputs equal their own matmul bit for bit, and the epilogue sees every
// (t, n) exactly once, after both outputs there are written (it checks them against the matmuls).
TEST(MatmulPair, EpilogueSeesEachFinishedRangeOnce) {
  std::mt19937 rng(43);
  const int64_t K = 160, N = 301;
  const auto a = random_weights(DType::Q4_1, K, N, rng), b = random_weights(DType::Q4_1, K, N, rng);
  const TensorView Wa = view(DType::Q4_1, K, N, a), Wb = view(DType::Q4_1, K, N, b);
  for (int64_t T : {1, 2, 5, 16}) {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << "T=" << T << " threads=" << threads);
      const auto x = random_x(T * K, rng);
      std::vector<float> wa(size_t(T * N)), wb(size_t(T * N)), ga(size_t(T * N), NAN), gb(size_t(T * N), NAN);
      matmul(Wa, x.data(), wa.data(), T);
      matmul(Wb, x.data(), wb.data(), T);
      std::vector<std::atomic<int>> seen(size_t(T * N));
      std::atomic<int> unfinished{0};
      const int before = thread_count();
      set_thread_count(threads);
      matmul_pair_then(Wa, Wb, x.data(), ga.data(), gb.data(), T, [&](int64_t t, int64_t n0, int64_t n1) {
        for (int64_t n = n0; n < n1; ++n) {
          const size_t i = size_t(t * N + n);
          seen[i]++;
          if (std::memcmp(&ga[i], &wa[i], 4) != 0 || std::memcmp(&gb[i], &wb[i], 4) != 0) unfinished++;
        }
      });
      set_thread_count(before);
      EXPECT_EQ(unfinished.load(), 0);
      for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "output " << i;
      EXPECT_EQ(0, std::memcmp(wa.data(), ga.data(), wa.size() * sizeof(float)));
      EXPECT_EQ(0, std::memcmp(wb.data(), gb.data(), wb.size() * sizeof(float)));
    }
  }
  const auto c = random_weights(DType::Q4_1, K, N - 1, rng);
  std::vector<float> x(static_cast<size_t>(K)), y1(static_cast<size_t>(N)), y2(static_cast<size_t>(N));
  EXPECT_THROW(matmul_pair_then(Wa, view(DType::Q4_1, K, N - 1, c), x.data(), y1.data(), y2.data(), 1,
                                [](int64_t, int64_t, int64_t) {}),
               Error);
}

// Largest integer partial sums at T = 2 (the row kernels); see matmul_test_data.hpp.
TEST_P(MatmulType, ExtremeCodesAndActivationsDoNotOverflow) {
  const DType type = GetParam();
  if (is_float_type(type)) GTEST_SKIP() << "no integer path";
  expect_extreme_codes_match_reference(type, 512, 3, 2);
}

}  // namespace
}  // namespace tock
