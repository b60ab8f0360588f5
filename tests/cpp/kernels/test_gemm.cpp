// The prefill GEMM path (kernels/gemm.hpp), reached through matmul_isa for T ≥ 16 rows: every
// quantized type it takes, at every ISA level here (with AMX, when the CPU and kernel allow it,
// at the Avx512 level; TOCK_ISA=avx512 forces VNNI instead), against the scalar row kernels
// (the integer reference) and matmul_ref on the round-tripped activations, on sizes that are
// not multiples of the panel (8/16 rows), the token tile (4/16 rows) or AMX's 64-byte K step.
// Tolerances as in test_matmul.cpp: the GEMM computes the same integers per 32-block as the
// scalar kernels, so only f32 rounding differs (≤ 1e-5 of Σ|w̃·x̃| per output).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dequant.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_panel.hpp"
#include "kernels/matmul.hpp"
#include "matmul_test_data.hpp"

namespace tock {
namespace {

class GemmType : public ::testing::TestWithParam<DType> {};

TEST_P(GemmType, MatchesScalarAndReferenceOnAwkwardSizes) {
  const DType type = GetParam();
  const bool k_quant = dtype_info(type).block_size == 256;
  const std::vector<int64_t> Ks = k_quant ? std::vector<int64_t>{256, 768} : std::vector<int64_t>{32, 96, 160};
  std::mt19937 rng(4321 + uint32_t(type));
  for (int64_t K : Ks) {
    for (int64_t N : {1, 9, 37}) {
      for (int64_t T : {16, 17, 31, 69}) {
        if (K > 256 && T > 17) continue;  // keep the test fast: big K with the short T
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N << " T=" << T);
        const auto w = random_weights(type, K, N, rng);
        const TensorView W = view(type, K, N, w);
        const auto x = random_x(T * K, rng);
        const auto xq = round_trip(type, x, K);
        const auto scale = abs_scale(W, xq, T);
        std::vector<float> ref_q(size_t(T * N)), scalar(size_t(T * N), NAN);
        matmul_ref(W, xq.data(), ref_q.data(), T);
        matmul_isa(Isa::Scalar, W, x.data(), scalar.data(), T);
        for (Isa isa : isas_here()) {
          if (isa == Isa::Scalar) continue;
          std::vector<float> fast(size_t(T * N), NAN);
          matmul_isa(isa, W, x.data(), fast.data(), T);
          EXPECT_LE(max_rel(fast, scalar, scale), 1e-5) << isa_name(isa) << " vs scalar row kernels";
          EXPECT_LE(max_rel(fast, ref_q, scale), 1e-5) << isa_name(isa) << " vs matmul_ref";
        }
      }
    }
  }
}

// The panel layouts every kernel reads (incl. AMX's, which this machine may not run): for each
// layout and panel height, code·d + m at the place the layout names must equal the element that
// dequantize_row (the reference dequantizer) gives, and rows past the matrix must be zero.
TEST_P(GemmType, PanelsHoldTheDequantizedWeights) {
  const DType type = GetParam();
  const int64_t K = dtype_info(type).block_size == 256 ? 512 : 96, nb = K / 32;
  std::mt19937 rng(31);
  for (int R : {8, 16}) {
    for (int rows : {R, R - 3}) {
      for (CodeLayout layout : {CodeLayout::Pairs16, CodeLayout::Quads8}) {
        SCOPED_TRACE(::testing::Message() << "R=" << R << " rows=" << rows << " quads=" << (layout == CodeLayout::Quads8));
        const auto w = random_weights(type, K, rows, rng);
        const TensorView W = view(type, K, rows, w);
        std::vector<int16_t> c16(size_t(nb * 32 * R), 99);
        std::vector<int8_t> c8(size_t(nb * 32 * R), 99);
        std::vector<float> d(size_t(nb * R), 99.0f), m(size_t(nb * R), 99.0f);
        void* codes = layout == CodeLayout::Pairs16 ? static_cast<void*>(c16.data()) : static_cast<void*>(c8.data());
        pack_q_panel(type, w.data(), W.row_bytes(), rows, R, K, layout, codes, d.data(), m.data());
        std::vector<float> ref(static_cast<size_t>(K));
        int bad = 0;
        for (int r = 0; r < R; ++r) {
          if (r < rows) dequantize_row(type, W.row(r), ref.data(), K);
          for (int64_t k = 0; k < K; ++k) {
            const int64_t b = k / 32, i = k % 32;
            const size_t at = layout == CodeLayout::Pairs16
                                  ? size_t(((b * 16 + i / 2) * R + r) * 2 + i % 2)
                                  : size_t(((b * 8 + i / 4) * R + r) * 4 + i % 4);
            const float code = layout == CodeLayout::Pairs16 ? float(c16[at]) : float(c8[at]);
            const float got = d[size_t(b * R + r)] * code + m[size_t(b * R + r)];
            const float want = r < rows ? ref[size_t(k)] : 0.0f;
            if (std::fabs(got - want) > 1e-6f * (1.0f + std::fabs(want))) ++bad;
            if (r >= rows && code != 0.0f) ++bad;
          }
        }
        EXPECT_EQ(bad, 0);
      }
    }
  }
}

// The GEMM entry itself (gemm.hpp) below matmul's kGemmMinRows, for serving's small batches
// (T = 1..15), and with K so long that each chunk of decoded panels holds a single panel (many
// chunks per thread): against the scalar row kernels, like the test above.
TEST_P(GemmType, SmallBatchesAndLongRowsMatchScalar) {
  const DType type = GetParam();
  const bool k_quant = dtype_info(type).block_size == 256;
  std::mt19937 rng(777 + uint32_t(type));
  struct Case { int64_t K, N, T; };
  std::vector<Case> cases;
  for (int64_t T = 1; T <= 15; ++T) cases.push_back({k_quant ? 256 : 96, T % 2 ? 37 : 19, T});
  cases.push_back({k_quant ? 6144 : 6208, 41, 7});  // 192-194 blocks: one 16-row panel per chunk
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << c.K << " N=" << c.N << " T=" << c.T);
    const auto w = random_weights(type, c.K, c.N, rng);
    const TensorView W = view(type, c.K, c.N, w);
    const auto x = random_x(c.T * c.K, rng);
    const auto scale = abs_scale(W, round_trip(type, x, c.K), c.T);
    std::vector<float> scalar(size_t(c.T * c.N), NAN);
    matmul_isa(Isa::Scalar, W, x.data(), scalar.data(), c.T);
    for (Isa isa : isas_here()) {
      std::vector<float> fast(size_t(c.T * c.N), NAN);
      if (!gemm(isa, W, x.data(), fast.data(), c.T)) continue;  // no GEMM kernel at this level
      EXPECT_LE(max_rel(fast, scalar, scale), 1e-5) << isa_name(isa);
    }
  }
}

TEST_P(GemmType, ThreadedEqualsSingleThreadedBitForBit) {
  const DType type = GetParam();
  expect_threaded_equals_single_threaded(type, dtype_info(type).block_size == 256 ? 512 : 160, 203, 37, 77);
}

// Largest integer partial sums through the GEMM (T ≥ 16), incl. AMX's split of each 16-bit
// activation into a signed high and an unsigned low byte; see matmul_test_data.hpp.
TEST_P(GemmType, ExtremeCodesDoNotOverflow) {
  expect_extreme_codes_match_reference(GetParam(), 512, 19, 21);
}

// The AVX2 panel decoder writes the very bytes pack_q_panel writes (16 rows, Pairs16), for
// full and partial panels; types it does not take are refused untouched.
TEST_P(GemmType, Avx2PanelDecoderEqualsPortableBitForBit) {
  if (int(detected_isa()) < int(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here";
  const DType type = GetParam();
  const bool taken = type == DType::Q4_0 || type == DType::Q4_1 || type == DType::Q8_0;
  std::mt19937 rng(99);
  for (int64_t K : {32, 160}) {
    if (K % dtype_info(type).block_size) continue;
    for (int rows : {16, 13, 1}) {
      SCOPED_TRACE(::testing::Message() << "K=" << K << " rows=" << rows);
      const int64_t nb = K / 32;
      const auto w = random_weights(type, K, rows, rng);
      const TensorView W = view(type, K, rows, w);
      std::vector<int16_t> c_ref(size_t(nb * 32 * 16), 99), c_fast(size_t(nb * 32 * 16), 99);
      std::vector<float> d_ref(size_t(nb * 16), 9.0f), m_ref(d_ref), d_fast(d_ref), m_fast(d_ref);
      pack_q_panel(type, w.data(), W.row_bytes(), rows, 16, K, CodeLayout::Pairs16, c_ref.data(), d_ref.data(),
                   m_ref.data());
      const bool did = pack_q_panel16_avx2(type, w.data(), W.row_bytes(), rows, K, c_fast.data(), d_fast.data(),
                                           m_fast.data());
      EXPECT_EQ(did, taken);
      if (!did) {
        EXPECT_TRUE(std::all_of(c_fast.begin(), c_fast.end(), [](int16_t c) { return c == 99; }));
        continue;
      }
      EXPECT_EQ(std::memcmp(c_ref.data(), c_fast.data(), c_ref.size() * 2), 0);
      EXPECT_EQ(std::memcmp(d_ref.data(), d_fast.data(), d_ref.size() * 4), 0);
      EXPECT_EQ(std::memcmp(m_ref.data(), m_fast.data(), m_ref.size() * 4), 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(QuantTypes, GemmType,
                         ::testing::Values(DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                                           DType::Q5_1, DType::Q4_K, DType::Q5_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// Float weights through the GEMM entry at the Avx2 level (the f32 sgemm on converted chunks of
// rows): against matmul_ref (no activation rounding for floats) within f32 rounding, on odd K,
// N over a chunk boundary (chunks of 128 rows), T = 1 (left to the row kernels), 64 and 69;
// and threaded results equal to single-threaded ones.
class GemmFloat : public ::testing::TestWithParam<DType> {};

TEST_P(GemmFloat, MatchesReferenceOnAwkwardSizes) {
  if (int(detected_isa()) < int(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here";
  const DType type = GetParam();
  std::mt19937 rng(55 + uint32_t(type));
  for (int64_t K : {45, 200}) {
    for (int64_t N : {1, 37, 170}) {
      for (int64_t T : {1, 64, 69}) {
        SCOPED_TRACE(::testing::Message() << dtype_name(type) << " K=" << K << " N=" << N << " T=" << T);
        const auto w = random_weights(type, K, N, rng);
        const TensorView W = view(type, K, N, w);
        const auto x = random_x(T * K, rng);
        const auto scale = abs_scale(W, x, T);
        std::vector<float> ref(size_t(T * N)), fast(size_t(T * N), NAN);
        matmul_ref(W, x.data(), ref.data(), T);
        if (!gemm(Isa::Avx2, W, x.data(), fast.data(), T)) {  // below the sgemm's rows: not taken
          EXPECT_LT(T, 64);
          continue;
        }
        EXPECT_LE(max_rel(fast, ref, scale), 1e-5);
      }
    }
  }
}

// Rows longer than one K block of the float GEMM (2048): the blocks' partial sums are carried
// in y between blocks, through full tiles and the edge copy of partial ones.
TEST_P(GemmFloat, LongRowsInKBlocksMatchReference) {
  if (int(detected_isa()) < int(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here";
  const DType type = GetParam();
  std::mt19937 rng(66 + uint32_t(type));
  const int64_t K = 4100, N = 37, T = 67;
  const auto w = random_weights(type, K, N, rng);
  const TensorView W = view(type, K, N, w);
  const auto x = random_x(T * K, rng);
  std::vector<float> ref(size_t(T * N)), fast(size_t(T * N), NAN);
  matmul_ref(W, x.data(), ref.data(), T);
  ASSERT_TRUE(gemm(Isa::Avx2, W, x.data(), fast.data(), T));
  EXPECT_LE(max_rel(fast, ref, abs_scale(W, x, T)), 1e-5);
}

TEST_P(GemmFloat, ThreadedEqualsSingleThreadedBitForBit) {
  expect_threaded_equals_single_threaded(GetParam(), 200, 350, 70, 78);
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, GemmFloat, ::testing::Values(DType::F16, DType::BF16, DType::F32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// gemm_many and gemm_pair_then (one x for several matrices, one parallel_for) at the Avx2
// level: each output equals its own gemm call bit for bit, at 1 and 2 threads, for the integer
// GEMM (Q4_1 with a Q8_0 among them) and the float one (F16, BF16); N not a multiple of the
// 16-row panel, T not a multiple of the 6-row tile; the pair's epilogue sees every (t, n) once,
// after both outputs there are final.
TEST(GemmShared, ManyAndPairEqualSeparateGemmsBitForBit) {
  if (int(detected_isa()) < int(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here";
  std::mt19937 rng(2024);
  const int64_t K = 96, T = 70;
  for (const std::vector<DType>& types : {std::vector<DType>{DType::Q4_1, DType::Q8_0, DType::Q4_1},
                                          std::vector<DType>{DType::F16, DType::F16, DType::BF16}}) {
    const std::vector<int64_t> Ns{37, 21, 37};
    std::vector<std::vector<uint8_t>> w;
    std::vector<TensorView> W;
    for (size_t i = 0; i < 3; ++i) w.push_back(random_weights(types[i], K, Ns[i], rng));
    for (size_t i = 0; i < 3; ++i) W.push_back(view(types[i], K, Ns[i], w[i]));
    const auto x = random_x(T * K, rng);
    std::vector<std::vector<float>> want;
    for (size_t i = 0; i < 3; ++i) {
      want.emplace_back(size_t(T * Ns[i]));
      ASSERT_TRUE(gemm(Isa::Avx2, W[i], x.data(), want[i].data(), T));
    }
    for (int threads : {1, 2}) {
      SCOPED_TRACE(::testing::Message() << dtype_name(types[0]) << " threads=" << threads);
      const int before = thread_count();
      set_thread_count(threads);
      std::vector<std::vector<float>> got;
      std::vector<MatmulOut> outs;
      for (size_t i = 0; i < 3; ++i) got.emplace_back(size_t(T * Ns[i]), NAN);
      for (size_t i = 0; i < 3; ++i) outs.push_back({&W[i], got[i].data()});
      const bool many = gemm_many(Isa::Avx2, outs.data(), 3, x.data(), T);
      // The pair: matrices 0 and 2 (one shape); the epilogue checks both outputs are final.
      std::vector<float> ga(size_t(T * Ns[0]), NAN), gb(size_t(T * Ns[0]), NAN);
      std::vector<int> seen(size_t(T * Ns[0]), 0);
      std::atomic<int> unfinished{0};
      struct Ctx {
        const std::vector<float>*wa, *wb;
        std::vector<float>*ga, *gb;
        std::vector<int>* seen;
        std::atomic<int>* unfinished;
        int64_t N;
      } ctx{&want[0], &want[2], &ga, &gb, &seen, &unfinished, Ns[0]};
      const bool pair = gemm_pair_then(
          Isa::Avx2, W[0], W[2], x.data(), ga.data(), gb.data(), T,
          [](void* p, int64_t t, int64_t n0, int64_t n1) {
            auto& c = *static_cast<Ctx*>(p);
            for (int64_t n = n0; n < n1; ++n) {
              const size_t i = size_t(t * c.N + n);
              ++(*c.seen)[i];  // ranges are disjoint: no two threads touch one element
              if (std::memcmp(&(*c.ga)[i], &(*c.wa)[i], 4) != 0 || std::memcmp(&(*c.gb)[i], &(*c.wb)[i], 4) != 0)
                ++*c.unfinished;
            }
          },
          &ctx);
      set_thread_count(before);
      ASSERT_TRUE(many);
      ASSERT_TRUE(pair);
      for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(0, std::memcmp(want[i].data(), got[i].data(), want[i].size() * sizeof(float))) << "output " << i;
      EXPECT_EQ(0, std::memcmp(want[0].data(), ga.data(), ga.size() * sizeof(float)));
      EXPECT_EQ(0, std::memcmp(want[2].data(), gb.data(), gb.size() * sizeof(float)));
      EXPECT_EQ(unfinished.load(), 0);
      EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int v) { return v == 1; }));
    }
  }
}

TEST(Gemm, ReportsWhetherAmxIsUsed) {
  // Not an assertion about the machine: a record in the log of which path the Avx512 level ran.
  std::printf("detected %s, AMX tiles %s\n", std::string(isa_name(detected_isa())).c_str(),
              amx_active() ? "in use" : "not in use");
  if (!cpu_features().amx_int8) {
    EXPECT_FALSE(amx_active());
  }
}

}  // namespace
}  // namespace tock
