// The GPT-2-style training model and AdamW: initialisation (seeded, nanoGPT's scales), the
// loss at initialisation, errors on bad input, and AdamW / clipping on hand-worked values.
// The full gradient check against PyTorch is tests/python/test_train_gpt.py.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "train/adamw.hpp"
#include "train/gpt.hpp"

namespace tock {

namespace {

GptConfig tiny() {
  GptConfig c;
  c.n_layer = 2;
  c.channels = 16;
  c.n_head = 2;
  c.vocab_size = 50;
  c.max_seq_len = 8;
  return c;
}

double stddev(const float* x, int64_t n) {
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i], s2 += double(x[i]) * x[i];
  return std::sqrt(s2 / n - (s / n) * (s / n));
}

}  // namespace

TEST(GptModel, ParameterTableMatchesTheBlock) {
  const GptConfig c = tiny();
  GptModel m(c, 1);
  const int64_t V = 50, C = 16, L = 2, maxT = 8;
  const int64_t want = V * C + maxT * C + L * (12 * C * C + 13 * C) + 2 * C;  // GPT-2's count
  EXPECT_EQ(m.num_params(), want);
  EXPECT_EQ(m.param_views()[kLnfb] + C, m.params() + m.num_params());
}

TEST(GptModel, InitIsSeededAndScaledAsNanoGpt) {
  GptConfig c = tiny();
  c.channels = 64;
  c.n_head = 4;
  c.vocab_size = 500;
  GptModel a(c, 42), b(c, 42), other(c, 43);
  EXPECT_TRUE(std::equal(a.params(), a.params() + a.num_params(), b.params()));
  EXPECT_FALSE(std::equal(a.params(), a.params() + a.num_params(), other.params()));
  const auto& s = a.param_sizes();
  const auto& p = a.param_views();
  EXPECT_NEAR(stddev(p[kWte], s[kWte]), 0.02, 0.001);
  EXPECT_NEAR(stddev(p[kFcw], s[kFcw]), 0.02, 0.001);
  EXPECT_NEAR(stddev(p[kFcprojw], s[kFcprojw]), 0.02 / std::sqrt(4.0), 0.001);
  EXPECT_NEAR(stddev(p[kAttprojw], s[kAttprojw]), 0.02 / std::sqrt(4.0), 0.001);
  for (int64_t i = 0; i < s[kLn1w]; ++i) ASSERT_EQ(p[kLn1w][i], 1.0f);
  for (int64_t i = 0; i < s[kQkvb]; ++i) ASSERT_EQ(p[kQkvb][i], 0.0f);
}

TEST(GptModel, LossAtInitIsNearUniform) {
  GptModel m(tiny(), 3);
  // Targets differ from the inputs: with the output tied to the embedding, a token's own
  // logit is raised even at initialisation.
  std::vector<int32_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
                       tg = {20, 31, 42, 13, 24, 35, 46, 17, 28, 39, 0, 49};
  const float loss = m.forward(in.data(), tg.data(), 2, 6);
  EXPECT_NEAR(loss, std::log(50.0f), 0.1f);
  m.zero_grad();
  m.backward();
  double norm = 0;
  for (int64_t i = 0; i < m.num_params(); ++i) norm += double(m.grads()[i]) * m.grads()[i];
  EXPECT_GT(norm, 0.0);
  // A second forward + backward with zero_grad gives the same gradient (no stale state).
  std::vector<float> g1(m.grads(), m.grads() + m.num_params());
  EXPECT_EQ(m.forward(in.data(), tg.data(), 2, 6), loss);
  m.zero_grad();
  m.backward();
  EXPECT_TRUE(std::equal(g1.begin(), g1.end(), m.grads()));
}

TEST(GptModel, BadInputIsAnError) {
  EXPECT_THROW(GptModel(GptConfig{.max_seq_len = 8, .vocab_size = 10, .n_layer = 1, .n_head = 3, .channels = 16}, 1), Error);
  GptModel m(tiny(), 1);
  std::vector<int32_t> ok(16, 1), bad(16, 1);
  bad[5] = 50;
  EXPECT_THROW(m.forward(bad.data(), ok.data(), 2, 8), Error);
  EXPECT_THROW(m.forward(ok.data(), bad.data(), 2, 8), Error);
  EXPECT_THROW(m.forward(ok.data(), ok.data(), 1, 9), Error);  // T > maxT
  EXPECT_THROW(GptModel(tiny(), 1).backward(), Error);        // no forward yet
}

TEST(AdamW, FirstStepMovesByLrTimesSign) {
  // Step 1: m̂ = g, v̂ = g², so p -= lr·g/(|g| + eps) ≈ lr·sign(g); decay first multiplies by
  // (1 - lr·wd) on decayed segments only.
  std::vector<float> p = {1.0f, 1.0f, -2.0f}, g = {0.5f, -3.0f, 0.0f};
  AdamW opt({.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f}, 3);
  const ParamSegment segs[] = {{p.data(), g.data(), 1, true}, {p.data() + 1, g.data() + 1, 2, false}};
  opt.step(segs, 0.01f);
  EXPECT_NEAR(p[0], 1.0f * (1 - 0.01f * 0.1f) - 0.01f, 1e-6f);
  EXPECT_NEAR(p[1], 1.0f + 0.01f, 1e-6f);
  EXPECT_EQ(p[2], -2.0f);  // zero gradient, no decay: untouched
  EXPECT_EQ(opt.steps(), 1);
  EXPECT_NEAR(opt.m()[1], -0.3f, 1e-6f);
  EXPECT_NEAR(opt.v()[1], 0.05f * 9.0f, 1e-6f);
  const ParamSegment short_seg[] = {{p.data(), g.data(), 2, false}};
  EXPECT_THROW(opt.step(short_seg, 0.01f), Error);
}

TEST(AdamW, ClipGradNormScalesOnlyAboveTheLimit) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_FLOAT_EQ(clip_grad_norm(g.data(), 2, 1.0f), 5.0f);
  EXPECT_NEAR(g[0], 0.6f, 1e-6f);
  EXPECT_NEAR(g[1], 0.8f, 1e-6f);
  std::vector<float> small = {0.3f, 0.4f};
  EXPECT_FLOAT_EQ(clip_grad_norm(small.data(), 2, 1.0f), 0.5f);
  EXPECT_EQ(small[0], 0.3f);
}

}  // namespace tock
