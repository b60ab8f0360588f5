// The classification head's backward (classify_head.hpp) against central finite differences of
// its forward loss, through the pooling too, at odd sizes with ragged lengths; and the save/load
// round trip of a classifier GGUF.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "train/classify_head.hpp"
#include "train/classify_model.hpp"

namespace tock {
namespace {

struct Problem {
  int64_t B = 3, T = 5, C = 7, K = 4;
  std::vector<float> hidden, w, bias;
  std::vector<int32_t> lengths{5, 2, 1}, labels{2, 0, 3};
  explicit Problem(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    hidden.resize(static_cast<size_t>(B * T * C));
    w.resize(static_cast<size_t>(K * C));
    bias.resize(static_cast<size_t>(K));
    for (auto* v : {&hidden, &w, &bias})
      for (auto& x : *v) x = n(rng);
  }
  double loss(Pooling p) const {
    std::vector<float> pooled(static_cast<size_t>(B * C)), probs(static_cast<size_t>(B * K));
    classify_pool_forward(pooled.data(), hidden.data(), lengths.data(), B, T, C, p);
    return classify_head_forward(probs.data(), pooled.data(), w.data(), bias.data(), labels.data(),
                                 B, C, K);
  }
};

void check_gradients(Pooling pooling) {
  Problem pr(pooling == Pooling::mean ? 7u : 11u);
  const int64_t B = pr.B, T = pr.T, C = pr.C, K = pr.K;
  std::vector<float> pooled(static_cast<size_t>(B * C)), probs(static_cast<size_t>(B * K));
  classify_pool_forward(pooled.data(), pr.hidden.data(), pr.lengths.data(), B, T, C, pooling);
  classify_head_forward(probs.data(), pooled.data(), pr.w.data(), pr.bias.data(), pr.labels.data(), B,
                        C, K);
  std::vector<float> dw(pr.w.size(), 0.0f), db(pr.bias.size(), 0.0f), dpooled(pooled.size()),
      dhidden(pr.hidden.size());
  classify_head_backward(dw.data(), db.data(), dpooled.data(), probs.data(), pooled.data(), pr.w.data(),
                         pr.labels.data(), B, C, K);
  classify_pool_backward(dhidden.data(), dpooled.data(), pr.lengths.data(), B, T, C, pooling);
  const float h = 1e-2f;
  auto fd = [&](std::vector<float>& v, size_t i) {
    const float keep = v[i];
    v[i] = keep + h;
    const double up = pr.loss(pooling);
    v[i] = keep - h;
    const double down = pr.loss(pooling);
    v[i] = keep;
    return (up - down) / (2.0 * h);
  };
  for (size_t i = 0; i < pr.w.size(); ++i) EXPECT_NEAR(dw[i], fd(pr.w, i), 2e-3) << "w " << i;
  for (size_t i = 0; i < pr.bias.size(); ++i) EXPECT_NEAR(db[i], fd(pr.bias, i), 2e-3) << "bias " << i;
  int nonzero = 0;
  for (size_t i = 0; i < pr.hidden.size(); ++i) {
    EXPECT_NEAR(dhidden[i], fd(pr.hidden, i), 2e-3) << "hidden " << i;
    nonzero += dhidden[i] != 0.0f;
  }
  // Padding positions get no gradient: mean reads lengths[b] rows, last reads one.
  const int expected_rows = pooling == Pooling::mean ? 5 + 2 + 1 : 3;
  EXPECT_EQ(nonzero, expected_rows * C);
}

TEST(ClassifyHead, MeanPoolingGradientsMatchFiniteDifferences) { check_gradients(Pooling::mean); }
TEST(ClassifyHead, LastPoolingGradientsMatchFiniteDifferences) { check_gradients(Pooling::last); }

TEST(ClassifyHead, ClassifierGgufRoundTrip) {
  Classifier c;
  c.labels = {"a", "bb", "c"};
  c.pooling = Pooling::last;
  c.seq = 17;
  c.base = "/nowhere/base.gguf";
  c.base_seed = 42;
  c.channels = 5;
  for (int i = 0; i < 15; ++i) c.w.push_back(0.25f * float(i) - 1.0f);
  c.bias = {0.5f, -1.5f, 3.0f};
  const std::string path = (std::filesystem::temp_directory_path() / "tock_classifier_rt.gguf").string();
  save_classifier(c, path);
  const Classifier r = load_classifier(path);
  std::filesystem::remove(path);
  EXPECT_EQ(r.labels, c.labels);
  EXPECT_EQ(r.pooling, c.pooling);
  EXPECT_EQ(r.seq, c.seq);
  EXPECT_EQ(r.base, c.base);
  EXPECT_EQ(r.base_seed, c.base_seed);
  EXPECT_EQ(r.channels, c.channels);
  EXPECT_EQ(r.w, c.w);
  EXPECT_EQ(r.bias, c.bias);
  // Predictions: argmax of w·x + b for a hand-checked feature row.
  const std::vector<float> x{1, 0, 0, 0, 0};  // scores = w[k][0] + b = -1+0.5, 0.25-1.5, 1.5+3
  EXPECT_EQ(classify_predict(r, x), std::vector<int32_t>{2});
}

}  // namespace
}  // namespace tock
