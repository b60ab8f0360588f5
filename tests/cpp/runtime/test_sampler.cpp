// Sampler chain: exact distributions on hand-made logits, worked by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "core/error.hpp"
#include "runtime/sampler.hpp"

namespace tock {
namespace {

// Everything off: plain softmax at temperature 1.
SamplerParams plain() {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

// logits ln 1 .. ln 4  ->  probabilities 0.1, 0.2, 0.3, 0.4
std::vector<float> ln1234() {
  return {std::log(1.0f), std::log(2.0f), std::log(3.0f), std::log(4.0f)};
}

std::map<int32_t, double> probs(std::span<const TokenProb> c) {
  std::map<int32_t, double> m;
  for (const auto& t : c) m[t.id] = t.p;
  return m;
}

void expect_probs(std::span<const TokenProb> got, const std::map<int32_t, double>& want) {
  auto g = probs(got);
  ASSERT_EQ(g.size(), want.size());
  for (const auto& [id, p] : want) {
    ASSERT_TRUE(g.count(id)) << "token " << id << " missing";
    EXPECT_NEAR(g[id], p, 1e-6) << "token " << id;
  }
}

TEST(Sampler, PlainSoftmaxGivesLogProportions) {
  Sampler s(plain());
  expect_probs(s.distribution(ln1234()), {{0, 0.1}, {1, 0.2}, {2, 0.3}, {3, 0.4}});
}

TEST(Sampler, TopKKeepsTheKMostLikelyRenormalised) {
  auto p = plain();
  p.top_k = 2;
  Sampler s(p);
  auto c = s.distribution(ln1234());
  expect_probs(c, {{3, 4.0 / 7}, {2, 3.0 / 7}});
  EXPECT_EQ(c[0].id, 3);  // ranked, most likely first
}

TEST(Sampler, TopPKeepsSmallestPrefixReachingP) {
  auto p = plain();
  p.top_p = 0.5f;  // 0.4 < 0.5, 0.4 + 0.3 >= 0.5
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 4.0 / 7}, {2, 3.0 / 7}});
  p.top_p = 0.35f;  // 0.4 alone reaches it
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 1.0}});
  p.top_p = 0.75f;  // 0.7 < 0.75, 0.9 >= 0.75
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 4.0 / 9}, {2, 3.0 / 9}, {1, 2.0 / 9}});
}

TEST(Sampler, MinPKeepsTokensAboveFractionOfTop) {
  auto p = plain();
  p.min_p = 0.6f;  // threshold 0.24: keeps 0.3, 0.4
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 4.0 / 7}, {2, 3.0 / 7}});
  p.min_p = 0.45f;  // threshold 0.18: keeps 0.2, 0.3, 0.4
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 4.0 / 9}, {2, 3.0 / 9}, {1, 2.0 / 9}});
}

TEST(Sampler, TemperatureDividesLogits) {
  auto p = plain();
  p.temperature = 2.0f;  // [0, ln 4] / 2 = [0, ln 2]  ->  1/3, 2/3
  expect_probs(Sampler(p).distribution(std::vector<float>{0.0f, std::log(4.0f)}),
               {{0, 1.0 / 3}, {1, 2.0 / 3}});
  p.temperature = 0.5f;  // [0, ln 2] / 0.5 = [0, ln 4]  ->  1/5, 4/5
  expect_probs(Sampler(p).distribution(std::vector<float>{0.0f, std::log(2.0f)}),
               {{0, 0.2}, {1, 0.8}});
}

TEST(Sampler, TopPSeesProbabilitiesRenormalisedByTopK) {
  // After top-k = 2 the survivors are 4/7 = 0.571 and 3/7: top-p 0.55 keeps the first alone.
  // Without top-k, 0.4 < 0.55 and two tokens survive: the order of the chain matters.
  auto p = plain();
  p.top_k = 2;
  p.top_p = 0.55f;
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 1.0}});
  p.top_k = 0;
  expect_probs(Sampler(p).distribution(ln1234()), {{3, 4.0 / 7}, {2, 3.0 / 7}});
}

TEST(Sampler, MinPMeasuredBeforeTemperature) {
  // min-p 0.6 at T = 1 keeps {0.3, 0.4} (ids 2, 3); then T = 2 halves ln 3, ln 4:
  // p ∝ sqrt(3), 2. (Measured after T = 2 it would have kept ids 1..3.)
  auto p = plain();
  p.min_p = 0.6f;
  p.temperature = 2.0f;
  const double a = std::sqrt(3.0), b = 2.0;
  expect_probs(Sampler(p).distribution(ln1234()), {{2, a / (a + b)}, {3, b / (a + b)}});
}

TEST(Sampler, LogitBiasIsAddedBeforeEverything) {
  // ln 1..4 with +ln 2 on token 0 and -ln 2 on token 3: weights 2, 2, 3, 2 -> /9.
  SamplerParams p = plain();
  p.logit_bias = {{0, std::log(2.0f)}, {3, -std::log(2.0f)}, {7, 5.0f} /* past the logits: ignored */};
  Sampler s(p);
  expect_probs(s.distribution(ln1234()), {{0, 2.0 / 9}, {1, 2.0 / 9}, {2, 3.0 / 9}, {3, 2.0 / 9}});
  // Greedy sees it too: -100 on the argmax hands the choice to the runner-up.
  SamplerParams g;
  g.temperature = 0.0f;
  g.logit_bias = {{3, -100.0f}};
  EXPECT_EQ(Sampler(g).sample(ln1234()), 2);
  g.logit_bias = {{1, std::nanf("")}};
  EXPECT_THROW(Sampler{g}, Error);
}

TEST(Sampler, PenaltiesWorkedByHand) {
  // history: token 0 twice, token 1 once. repeat 2, frequency 0.5, presence 0.25.
  //   token 0:  2 / 2 = 1      ->  1 - 2*0.5 - 0.25 = -0.25
  //   token 1: -2 * 2 = -4     -> -4 - 1*0.5 - 0.25 = -4.75
  //   tokens 2, 3 untouched
  std::vector<float> l = {2.0f, -2.0f, 1.0f, 0.5f};
  std::vector<int32_t> recent = {0, 1, 0, 99 /* outside the vocabulary: ignored */};
  apply_penalties(l, recent, 2.0f, 0.5f, 0.25f);
  EXPECT_FLOAT_EQ(l[0], -0.25f);
  EXPECT_FLOAT_EQ(l[1], -4.75f);
  EXPECT_FLOAT_EQ(l[2], 1.0f);
  EXPECT_FLOAT_EQ(l[3], 0.5f);
}

TEST(Sampler, PenaltiesLookOnlyAtLastNAcceptedTokens) {
  // Greedy on [3, 2.9, 0]: token 0 wins unless penalised. repeat 2 makes it 1.5 < 2.9.
  SamplerParams p;
  p.temperature = 0.0f;
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p);
  const std::vector<float> l = {3.0f, 2.9f, 0.0f};
  EXPECT_EQ(s.sample(l), 0);
  s.accept(0);
  EXPECT_EQ(s.sample(l), 1);  // 0 is in the window
  s.accept(2);
  s.accept(2);
  EXPECT_EQ(s.sample(l), 0);  // window is [2, 2]: 0 has left it
  s.reset();
  EXPECT_EQ(s.sample(l), 0);
}

TEST(Sampler, GreedyTiesGoToLowestId) {
  SamplerParams p;
  p.temperature = 0.0f;
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}), 1);
  ASSERT_EQ(s.candidates().size(), 1u);
  EXPECT_EQ(s.candidates()[0].p, 1.0f);
  EXPECT_EQ(argmax(std::vector<float>{5.0f, 5.0f}), 0);
}

TEST(Sampler, TopKTiesAtTheCutGoToLowestId) {
  auto p = plain();
  p.top_k = 2;
  expect_probs(Sampler(p).distribution(std::vector<float>{1.0f, 2.0f, 2.0f, 2.0f}),
               {{1, 0.5}, {2, 0.5}});
}

std::vector<float> pseudo_logits(size_t n, uint32_t salt) {
  std::vector<float> l(n);
  uint32_t x = 2463534242u ^ salt;
  for (auto& v : l) {  // xorshift32: fixed, platform-independent values
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<float>(x % 20000) / 1000.0f - 10.0f;
  }
  return l;
}

TEST(Sampler, TopKOnLargeVocabularyMatchesFullSort) {
  auto l = pseudo_logits(150000, 1);
  Candidates c;
  make_candidates(l, c);
  Candidates full = c;
  std::sort(full.begin(), full.end(), ranks_before);
  keep_top_k(c, 40);
  ASSERT_EQ(c.size(), 40u);
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(c[i].id, full[i].id) << i;
}

// The one-pass heap gives make_candidates + keep_top_k's list exactly (ids, logits, order), ties
// at the cut included: logits on a coarse grid (many equal values), k from 1 to past the size.
TEST(Sampler, TopKCandidatesEqualsMakeCandidatesThenKeepTopK) {
  for (uint32_t salt = 0; salt < 4; ++salt) {
    auto l = pseudo_logits(5000, salt);
    for (auto& v : l) v = std::round(v * 2.0f) / 2.0f;  // 41 distinct values: ties everywhere
    for (int k : {1, 2, 7, 40, 41, 100, 4999, 5000, 6000, 0, -1}) {
      Candidates want, got;
      make_candidates(l, want);
      keep_top_k(want, k);
      top_k_candidates(l, k, got);
      ASSERT_EQ(got.size(), want.size()) << "k " << k;
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].id, want[i].id) << "k " << k << " at " << i;
        ASSERT_EQ(got[i].logit, want[i].logit);
      }
    }
  }
  Candidates c;
  EXPECT_THROW(top_k_candidates(std::vector<float>{1.0f, std::nanf(""), 2.0f}, 2, c), Error);
}

TEST(Sampler, TopPOnLargeVocabularyMatchesFullSort) {
  auto l = pseudo_logits(150000, 2);
  for (float top_p : {0.01f, 0.5f, 0.9f, 0.999f}) {
    Candidates c;
    make_candidates(l, c);
    Candidates full = c;
    std::sort(full.begin(), full.end(), ranks_before);
    double total = 0;
    for (auto& t : full) total += std::exp(double(t.logit) - full[0].logit);
    size_t want = 0;
    double cum = 0;
    while (want < full.size()) {
      cum += std::exp(double(full[want].logit) - full[0].logit);
      ++want;
      if (cum >= top_p * total) break;
    }
    keep_top_p(c, top_p);
    ASSERT_EQ(c.size(), want) << "top_p " << top_p;
    for (size_t i = 0; i < want; ++i) ASSERT_EQ(c[i].id, full[i].id);
  }
}

TEST(Sampler, SameSeedSameDrawsDifferentSeedDifferentDraws) {
  auto l = pseudo_logits(1000, 3);
  auto run = [&](uint64_t seed) {
    SamplerParams p;  // defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05
    p.top_k = 0;      // leave many tokens in play so different seeds diverge
    p.min_p = 0.0f;
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) out.push_back(s.sample(l));
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Sampler, ResetRestartsTheSequence) {
  auto l = pseudo_logits(100, 4);
  auto p = plain();
  p.seed = 123;
  Sampler s(p);
  std::vector<int32_t> a, b;
  for (int i = 0; i < 50; ++i) a.push_back(s.sample(l));
  s.reset();
  for (int i = 0; i < 50; ++i) b.push_back(s.sample(l));
  EXPECT_EQ(a, b);
}

TEST(Sampler, RandomSeedIsDrawnAndReported) {
  auto p = plain();
  p.seed = SamplerParams::kRandomSeed;
  Sampler s(p);
  EXPECT_NE(s.seed(), SamplerParams::kRandomSeed);
}

TEST(Sampler, EmpiricalFrequenciesMatchDistribution) {
  // 100k draws from 0.1/0.2/0.3/0.4: each count within 5 standard errors of n*p.
  auto p = plain();
  p.seed = 2024;
  Sampler s(p);
  const int n = 100000;
  std::vector<int> count(4, 0);
  const auto l = ln1234();
  for (int i = 0; i < n; ++i) ++count[static_cast<size_t>(s.sample(l))];
  for (int id = 0; id < 4; ++id) {
    const double pi = 0.1 * (id + 1);
    const double sd = std::sqrt(n * pi * (1 - pi));
    EXPECT_NEAR(count[static_cast<size_t>(id)], n * pi, 5 * sd) << "token " << id;
  }
}

TEST(Sampler, DrawWalksTheCumulativeDistribution) {
  Candidates c = {{5, 0, 0.25f}, {6, 0, 0.5f}, {7, 0, 0.25f}};
  EXPECT_EQ(draw(c, 0.0), 5);
  EXPECT_EQ(draw(c, 0.2499), 5);
  EXPECT_EQ(draw(c, 0.25), 6);
  EXPECT_EQ(draw(c, 0.7499), 6);
  EXPECT_EQ(draw(c, 0.75), 7);
  EXPECT_EQ(draw(c, 0.999999), 7);
}

TEST(Sampler, MaskedLogitsAreNeverDrawn) {
  const float inf = std::numeric_limits<float>::infinity();
  Sampler s(plain());
  expect_probs(s.distribution(std::vector<float>{-inf, 0.0f, -inf}), {{0, 0.0}, {1, 1.0}, {2, 0.0}});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.sample(std::vector<float>{-inf, 0.0f, -inf}), 1);
  EXPECT_THROW(s.sample(std::vector<float>{-inf, -inf}), Error);
}

TEST(Sampler, BadParametersAndInputsAreErrors) {
  auto bad = [](auto edit) {
    SamplerParams p;
    edit(p);
    EXPECT_THROW(Sampler{p}, Error);
  };
  bad([](SamplerParams& p) { p.top_p = -0.1f; });
  bad([](SamplerParams& p) { p.min_p = 1.5f; });
  bad([](SamplerParams& p) { p.repeat_penalty = 0.0f; });
  bad([](SamplerParams& p) { p.repeat_last_n = -2; });
  bad([](SamplerParams& p) { p.temperature = std::nanf(""); });
  Sampler s(plain());
  EXPECT_THROW(s.sample(std::span<const float>{}), Error);
  try {
    SamplerParams p;
    p.top_p = -1.0f;
    Sampler{p};
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("top_p"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tock
