// A classification loss through a Llama-style backbone (LlamaTrainModel::backward_from_hidden +
// classify_head.hpp): the gradients of backbone parameters against central finite differences
// of the whole loss (f64 accumulation is not available, so a tolerance for f32 noise), on a tiny
// model with ragged, right-padded sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "train/classify_head.hpp"
#include "train/llama_train.hpp"

namespace tock {
namespace {

struct Problem {
  LlamaTrainConfig cfg;
  std::vector<int32_t> inputs{3, 7, 1, 9, 2, 5, 4, 0, 0, 0, 6, 8, 6, 0, 0};  // B=3, T=5
  std::vector<int32_t> lengths{5, 2, 3}, labels{1, 2, 0};
  std::vector<float> w, bias;
  const int64_t B = 3, T = 5, K = 3;
  Problem() {
    cfg.n_layer = 2;
    cfg.channels = 8;
    cfg.n_head = 2;
    cfg.n_kv_head = 1;
    cfg.ffn_hidden = 12;
    cfg.vocab_size = 11;
    cfg.max_seq_len = 8;
    std::mt19937 rng(9);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (int64_t i = 0; i < K * cfg.channels; ++i) w.push_back(n(rng));
    for (int64_t i = 0; i < K; ++i) bias.push_back(n(rng));
  }
  double loss(LlamaTrainModel& m, std::vector<float>* probs_out = nullptr,
              std::vector<float>* pooled_out = nullptr) const {
    const int64_t C = cfg.channels;
    m.forward_hidden(inputs.data(), B, T);
    std::vector<float> pooled(static_cast<size_t>(B * C)), probs(static_cast<size_t>(B * K));
    classify_pool_forward(pooled.data(), m.acts().hf, lengths.data(), B, T, C, Pooling::mean);
    const double l = classify_head_forward(probs.data(), pooled.data(), w.data(), bias.data(),
                                           labels.data(), B, C, K);
    if (probs_out) *probs_out = probs;
    if (pooled_out) *pooled_out = pooled;
    return l;
  }
};

TEST(ClassifyBackbone, ParameterGradientsMatchFiniteDifferences) {
  Problem s;
  LlamaTrainModel m(s.cfg, 21);
  const int64_t C = s.cfg.channels;
  std::vector<float> probs, pooled;
  s.loss(m, &probs, &pooled);
  std::vector<float> dw(s.w.size(), 0.0f), db(s.bias.size(), 0.0f), dpooled(pooled.size()),
      dhidden(static_cast<size_t>(s.B * s.T * C));
  classify_head_backward(dw.data(), db.data(), dpooled.data(), probs.data(), pooled.data(),
                         s.w.data(), s.labels.data(), s.B, C, s.K);
  classify_pool_backward(dhidden.data(), dpooled.data(), s.lengths.data(), s.B, s.T, C, Pooling::mean);
  m.zero_grad();
  m.backward_from_hidden(dhidden.data());
  const std::vector<float> grads(m.grads(), m.grads() + m.num_params());
  // Every 7th parameter (all tensors are covered at this stride), central differences.
  const float h = 2e-3f;  // small: RMSNorm makes the embedding rows strongly curved
  int checked = 0, nonzero = 0;
  for (int64_t i = 0; i < m.num_params(); i += 7) {
    float* p = m.params() + i;
    const float keep = *p;
    *p = keep + h;
    const double up = s.loss(m);
    *p = keep - h;
    const double down = s.loss(m);
    *p = keep;
    const double fd = (up - down) / (2.0 * h);
    EXPECT_NEAR(grads[size_t(i)], fd, 3e-3 + 0.05 * std::fabs(fd)) << "param " << i;
    ++checked;
    nonzero += std::fabs(grads[size_t(i)]) > 1e-6f;
  }
  EXPECT_GT(checked, 50);
  EXPECT_GT(nonzero, checked / 4);
  // Padding tokens never reach a real position: their embedding rows get no gradient.
  // Token 0 appears only as padding (positions after lengths), token 10 never.
  const LlamaParams& g = m.grad_views();
  for (int64_t c = 0; c < C; ++c) EXPECT_EQ(g[kTokEmbd][0 * C + c], 0.0f);
}

TEST(ClassifyBackbone, ForwardHiddenGivesForwardsHiddenStates) {
  Problem s;
  LlamaTrainModel m(s.cfg, 5);
  const size_t n = size_t(s.B * s.T * s.cfg.channels);
  m.forward(s.inputs.data(), nullptr, s.B, s.T);
  const std::vector<float> full(m.acts().hf, m.acts().hf + n);
  std::fill(m.acts().hf, m.acts().hf + n, -7.0f);
  m.forward_hidden(s.inputs.data(), s.B, s.T);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(full[i], m.acts().hf[i]) << i;
}

}  // namespace
}  // namespace tock
