// attention_causal (flash-attention driver + block kernels, every ISA level this CPU has)
// against attention_one, the plain reference: decode (T = 1, positions split over threads and
// merged) and prefill (T tokens, causal tiles), GQA, head sizes that are and are not a multiple
// of the vector width, f32 and f16 caches, and the clock's attention weights.
//
// Tolerance: outputs are convex combinations of V rows (|V| ≤ 1) computed in f32 with another
// summation order and, for SIMD, a polynomial e^x (relative error ~2e-7): 2e-5 absolute is
// ~100 ulps of the largest output, far above the expected ~1e-6 and far below any real bug
// (a wrong mask, scale or merge moves outputs by ~1e-2 or more).
// f16 cache: the reference is attention_one over the same f16-rounded keys and values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"

namespace tock {
namespace {

struct Case {
  int64_t T, p0, NH, NKV, HS;
};

std::vector<Isa> isas() {
  std::vector<Isa> out{Isa::Scalar};
  if (int(detected_isa()) >= int(Isa::Avx2)) out.push_back(Isa::Avx2);
  if (int(detected_isa()) >= int(Isa::Avx512)) out.push_back(Isa::Avx512);
  return out;
}

// Random q (T, NH, HS) and cache (p0+T, NKV·HS), values in ±1 (keys scaled up so softmax is
// peaked, not flat: a flat softmax hides masking errors).
struct Data {
  std::vector<float> q, K, V;
  std::vector<uint16_t> K16, V16;
  Data(const Case& c, bool f16, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t n = c.p0 + c.T, row = c.NKV * c.HS;
    q.resize(size_t(c.T * c.NH * c.HS));
    K.resize(size_t(n * row));
    V.resize(size_t(n * row));
    for (float& x : q) x = u(rng);
    for (float& x : K) x = 3.0f * u(rng);
    for (float& x : V) x = u(rng);
    if (f16) {
      for (float& x : K) K16.push_back(f32_to_f16(x)), x = f16_to_f32(K16.back());
      for (float& x : V) V16.push_back(f32_to_f16(x)), x = f16_to_f32(V16.back());
    }
  }
  KvRows rows(const Case& c, bool f16) const {
    if (f16) return {K16.data(), V16.data(), DType::F16, c.NKV * c.HS};
    return {K.data(), V.data(), DType::F32, c.NKV * c.HS};
  }
  // The same cache head-major (KVCache's layout): head g's positions contiguous, in a buffer of
  // capacity n + 3 positions per head (the unused tail makes head_stride differ from n·HS).
  std::vector<float> Kh, Vh;
  std::vector<uint16_t> K16h, V16h;
  KvRows head_major(const Case& c, bool f16) {
    const int64_t n = c.p0 + c.T, cap = n + 3, row = c.NKV * c.HS;
    auto permute = [&](const auto& src, auto& dst) {
      dst.assign(size_t(c.NKV * cap * c.HS), {});
      for (int64_t j = 0; j < n; ++j)
        for (int64_t g = 0; g < c.NKV; ++g)
          for (int64_t d = 0; d < c.HS; ++d) dst[size_t((g * cap + j) * c.HS + d)] = src[size_t(j * row + g * c.HS + d)];
    };
    if (f16) {
      permute(K16, K16h), permute(V16, V16h);
      return {K16h.data(), V16h.data(), DType::F16, c.HS, cap * c.HS};
    }
    permute(K, Kh), permute(V, Vh);
    return {Kh.data(), Vh.data(), DType::F32, c.HS, cap * c.HS};
  }
};

void check_case(const Case& c, bool f16, uint32_t seed, bool head_major = false) {
  Data d(c, f16, seed);
  const KvRows kv = head_major ? d.head_major(c, f16) : d.rows(c, f16);
  const float scale = 1.0f / std::sqrt(float(c.HS));
  const int64_t n_kv = c.p0 + c.T, C = c.NH * c.HS;
  // Reference: each token alone over its causal window.
  std::vector<float> want(static_cast<size_t>(c.T * C)), scratch(static_cast<size_t>(n_kv)),
      want_p(static_cast<size_t>(c.NH * n_kv));
  for (int64_t t = 0; t < c.T; ++t)
    attention_one(d.q.data() + t * C, d.K.data(), d.V.data(), c.p0 + t + 1, c.NH, c.NKV, c.HS, scale,
                  want.data() + t * C, scratch.data(), t == c.T - 1 ? want_p.data() : nullptr);
  for (Isa isa : isas()) {
    std::vector<float> got(size_t(c.T * C), NAN), got_p(size_t(c.NH * n_kv), NAN);
    attention_causal_isa(isa, d.q.data(), c.T, c.p0, kv, c.NH, c.NKV, c.HS, scale, got.data(), got_p.data());
    float worst = 0.0f, worst_p = 0.0f;
    // An output never written stays NaN: count it as an infinite error (std::max drops NaN).
    auto err = [](float a, float b) { return std::isfinite(a) ? std::fabs(a - b) : INFINITY; };
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, err(got[i], want[i]));
    for (size_t i = 0; i < got_p.size(); ++i) worst_p = std::max(worst_p, err(got_p[i], want_p[i]));
    EXPECT_LT(worst, 2e-5f) << isa_name(isa) << " T=" << c.T << " p0=" << c.p0 << " NH=" << c.NH
                            << " NKV=" << c.NKV << " HS=" << c.HS << (f16 ? " f16" : " f32")
                            << (head_major ? " head-major" : "");
    EXPECT_LT(worst_p, 2e-6f) << isa_name(isa) << " probs, T=" << c.T << " p0=" << c.p0;
  }
}

TEST(Attention, DecodeMatchesReferenceAtManyDepths) {
  for (int64_t p0 : {0, 1, 7, 31, 32, 33, 100, 257, 1023})
    for (bool f16 : {false, true}) check_case({1, p0, 9, 3, 64}, f16, uint32_t(p0 + 1));
}

TEST(Attention, PrefillIsCausalOverTilesAndAfterAPrefix) {
  for (bool f16 : {false, true}) {
    check_case({37, 0, 9, 3, 64}, f16, 11);   // tiles of 21 tokens: a partial last tile
    check_case({50, 13, 4, 4, 32}, f16, 12);  // no GQA, after 13 cached positions
    check_case({70, 5, 8, 1, 16}, f16, 13);   // multi-query: 8 heads share one kv head
  }
}

// Decode over GQA ratios 1, 3, 4, 5 and 7 (the SIMD kernel takes rows in groups of up to 4: 3,
// 4, 4+1, 4+3 rows), head sizes 64 and odd multiples of 8, at depths around block edges.
TEST(Attention, DecodeGqaRatiosHeadSizesAndOddDepths) {
  struct Heads { int64_t NH, NKV; };
  uint32_t seed = 100;
  const int64_t head_sizes[] = {64, 40, 24};
  for (int64_t p0 : {1, 31, 33, 1000, 1025})
    for (Heads h : {Heads{3, 3}, Heads{9, 3}, Heads{8, 2}, Heads{10, 2}, Heads{7, 1}}) {
      // seed = 100 + 5·depth index + heads index: over the depths, each heads pair meets every
      // head size and both cache types.
      check_case({1, p0, h.NH, h.NKV, head_sizes[seed % 3]}, seed % 2 == 0, seed);
      ++seed;
    }
}

// Two or three tokens: rows with different causal windows in one few-rows call.
TEST(Attention, ShortPromptsMaskEachTokensRows) {
  check_case({2, 0, 6, 2, 24}, true, 60);   // 6 rows: token 0 sees 1 position, token 1 two
  check_case({3, 30, 4, 2, 64}, false, 61);  // windows 31, 32, 33 across a block edge
  check_case({3, 62, 12, 2, 8}, true, 62);  // 18 rows: the block-converting kernel
}

// A few tokens after a deep prefix (a short prompt turn, speculative tokens): too few tiles for
// the threads, so positions are split and every token's rows merged, not only the first's.
TEST(Attention, FewTokensAfterADeepPrefixMergeEveryToken) {
  for (int64_t T : {2, 5}) check_case({T, 1000, 9, 3, 64}, true, uint32_t(50 + T));
  check_case({20, 300, 8, 1, 64}, false, 56);  // multi-query: 3 tiles of 8 tokens, positions split
}

// The cache head-major (each kv head's positions one run, KVCache's layout): decode at depths
// around block edges (every 64 positions; 32 for the tile kernel once) and split boundaries,
// GQA and multi-query, a prefill after a prefix.
TEST(Attention, HeadMajorCacheMatchesReference) {
  uint32_t seed = 200;
  for (int64_t p0 : {0, 1, 31, 33, 63, 65, 130, 1025})
    for (bool f16 : {true, false}) {
      check_case({1, p0, 9, 3, 64}, f16, seed++, true);
      check_case({1, p0, 8, 1, 24}, f16, seed++, true);
    }
  check_case({37, 20, 9, 3, 64}, true, seed++, true);
  check_case({5, 1000, 9, 3, 64}, true, seed++, true);
  check_case({1, 200, 6, 2, 12}, false, seed++, true);  // HS not a multiple of 8: scalar fallback
}

// More kv heads than the split decode walks in one pass (16): the heads go in two rounds.
TEST(Attention, DecodeWithManyKvHeadsWalksThemInRounds) {
  check_case({1, 300, 36, 18, 8}, true, 70);
  check_case({1, 129, 20, 20, 16}, false, 71);
}

TEST(Attention, OddHeadSizesUseTheFallbackCorrectly) {
  check_case({1, 200, 6, 2, 12}, false, 21);  // HS not a multiple of 8
  check_case({9, 3, 6, 2, 12}, true, 22);
  check_case({1, 90, 2, 1, 264}, false, 23);  // HS above the SIMD kernel's buffer
}

// Decode splits its positions across threads (one split per thread): with 3 threads, at odd
// depths, every split's partial softmax merged, against the reference, whatever the machine's
// own thread count.
TEST(Attention, DecodeSplitAcrossThreadsMatchesReference) {
  const int n = thread_count();
  set_thread_count(3);
  uint32_t seed = 90;
  for (int64_t p0 : {63, 65, 130, 1025})
    for (bool f16 : {false, true}) check_case({1, p0, 9, 3, 64}, f16, seed++, true);
  set_thread_count(n);
}

TEST(Attention, ThreadedMatchesSingleThreaded) {
  for (bool head_major : {false, true}) {
    const Case c{1, 700, 9, 3, 64};
    Data d(c, true, 31);
    const KvRows kv = head_major ? d.head_major(c, true) : d.rows(c, true);
    const float scale = 0.125f;
    std::vector<float> one(size_t(c.NH * c.HS)), two(one.size());
    const int n = thread_count();
    set_thread_count(1);
    attention_causal(d.q.data(), 1, c.p0, kv, c.NH, c.NKV, c.HS, scale, one.data());
    set_thread_count(4);
    attention_causal(d.q.data(), 1, c.p0, kv, c.NH, c.NKV, c.HS, scale, two.data());
    set_thread_count(n);
    // Splits differ with the thread count; the arithmetic does not (attention_kernels.hpp).
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0) << (head_major ? "head-major" : "");
  }
}

// A query row's output has the same bits whichever call computes it: a prompt's last token
// alone after a cached prefix (T = 1, positions split over threads) and inside the prompt's
// prefill (tiles of many rows, or a few-rows call) must agree exactly, or a cached prefix changes
// sampled text. For each depth n and T tokens in one call (the tokens at positions n−T .. n−1, as
// a prefill after a prefix), every token's output is compared bit for bit with that token alone
// at 1 thread (no split) — and the token alone again at 3 threads (split positions).
TEST(Attention, QueryRowHasTheSameBitsInAnyCallTileOrSplit) {
  struct Heads {
    int64_t NH, NKV, HS;
  };
  const int n_threads = thread_count();
  int64_t compared = 0;
  uint32_t seed = 300;
  for (Heads h : {Heads{9, 3, 64}, Heads{10, 2, 40}})
    for (bool f16 : {false, true})
      for (int64_t n : {1, 7, 64, 65, 300}) {
        // Every position's queries: (n, NH, HS); the cache holds positions 0 .. n−1.
        const Case all{n, 0, h.NH, h.NKV, h.HS};
        Data d(all, f16, seed++);
        const KvRows kv = d.head_major(all, f16);
        const int64_t C = h.NH * h.HS;
        const float scale = 1.0f / std::sqrt(float(h.HS));
        // alone[t]: token t by itself (T = 1, p0 = t) at 1 thread, and at 3 threads.
        std::vector<float> alone(size_t(n * C)), alone3(size_t(n * C));
        set_thread_count(1);
        for (int64_t t = 0; t < n; ++t)
          attention_causal(d.q.data() + t * C, 1, t, kv, h.NH, h.NKV, h.HS, scale, alone.data() + t * C);
        set_thread_count(3);
        for (int64_t t = 0; t < n; ++t)
          attention_causal(d.q.data() + t * C, 1, t, kv, h.NH, h.NKV, h.HS, scale, alone3.data() + t * C);
        EXPECT_EQ(std::memcmp(alone.data(), alone3.data(), alone.size() * sizeof(float)), 0)
            << "T=1 split over 3 threads, n=" << n << " NH=" << h.NH << " HS=" << h.HS << (f16 ? " f16" : " f32");
        set_thread_count(2);
        for (int64_t T : {1, 2, 5, 8, 9, 16, 64}) {
          if (T > n) continue;
          const int64_t p0 = n - T;
          std::vector<float> got(size_t(T * C), NAN);
          attention_causal(d.q.data() + p0 * C, T, p0, kv, h.NH, h.NKV, h.HS, scale, got.data());
          for (int64_t t = 0; t < T; ++t, ++compared)
            EXPECT_EQ(std::memcmp(got.data() + t * C, alone.data() + (p0 + t) * C, size_t(C) * sizeof(float)), 0)
                << "token " << t << " of T=" << T << " after p0=" << p0 << ", NH=" << h.NH << " NKV=" << h.NKV
                << " HS=" << h.HS << (f16 ? " f16" : " f32");
        }
      }
  set_thread_count(n_threads);
  EXPECT_GT(compared, 500);
}

TEST(Attention, RejectsBadInput) {
  const Case c{1, 3, 4, 2, 8};
  const Data d(c, false, 41);
  std::vector<float> out(32);
  KvRows bad = d.rows(c, false);
  bad.type = DType::Q8_0;
  EXPECT_THROW(attention_causal(d.q.data(), 1, 3, bad, 4, 2, 8, 1.0f, out.data()), Error);
  EXPECT_THROW(attention_causal(d.q.data(), 1, 3, d.rows(c, false), 4, 3, 8, 1.0f, out.data()), Error);
  if (detected_isa() != Isa::Avx512) {
    EXPECT_THROW(attention_causal_isa(Isa::Avx512, d.q.data(), 1, 3, d.rows(c, false), 4, 2, 8, 1.0f,
                                      out.data()),
                 Error);
  }
}

}  // namespace
}  // namespace tock
