// LoRA on one linear layer (lora_linear.hpp): gradients of A, B and x against central finite
// differences, the frozen W bit-identical after adapter training steps, and the merged weight's
// plain product equal to the adapted forward within 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "train/adamw.hpp"
#include "train/lora_linear.hpp"

namespace tock {
namespace {

const LoraShape kShape{.in = 7, .out = 5, .rank = 3, .alpha = 6.0f};
const int64_t kN = 4;

std::vector<float> randn(size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// loss = Σ y·c for fixed random c, so dy = c.
double loss(const std::vector<float>& x, const std::vector<float>& W, const std::vector<float>& A,
            const std::vector<float>& B, const std::vector<float>& c) {
  std::vector<float> y(static_cast<size_t>(kN * kShape.out)), xa(static_cast<size_t>(kN * kShape.rank));
  lora_forward(y.data(), xa.data(), x.data(), W.data(), A.data(), B.data(), kN, kShape);
  double s = 0.0;
  for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * c[i];
  return s;
}

TEST(LoraLinear, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(3);
  auto x = randn(size_t(kN * kShape.in), rng), W = randn(size_t(kShape.out * kShape.in), rng),
       A = randn(size_t(kShape.rank * kShape.in), rng), B = randn(size_t(kShape.out * kShape.rank), rng),
       c = randn(size_t(kN * kShape.out), rng);
  std::vector<float> y(c.size()), xa(static_cast<size_t>(kN * kShape.rank)), dx(x.size(), 0.0f),
      dA(A.size(), 0.0f), dB(B.size(), 0.0f);
  lora_forward(y.data(), xa.data(), x.data(), W.data(), A.data(), B.data(), kN, kShape);
  lora_backward(dx.data(), dA.data(), dB.data(), c.data(), x.data(), xa.data(), W.data(), A.data(),
                B.data(), kN, kShape);
  const float h = 1e-2f;
  auto fd = [&](std::vector<float>& v, size_t i) {
    const float keep = v[i];
    v[i] = keep + h;
    const double up = loss(x, W, A, B, c);
    v[i] = keep - h;
    const double down = loss(x, W, A, B, c);
    v[i] = keep;
    return (up - down) / (2.0 * h);
  };
  for (size_t i = 0; i < A.size(); ++i) EXPECT_NEAR(dA[i], fd(A, i), 2e-2) << "A " << i;
  for (size_t i = 0; i < B.size(); ++i) EXPECT_NEAR(dB[i], fd(B, i), 2e-2) << "B " << i;
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(dx[i], fd(x, i), 2e-2) << "x " << i;
}

TEST(LoraLinear, FrozenBaseBitIdenticalAndMergeMatches) {
  std::mt19937 rng(5);
  auto x = randn(size_t(kN * kShape.in), rng), W = randn(size_t(kShape.out * kShape.in), rng),
       A = randn(size_t(kShape.rank * kShape.in), rng, 0.1f), c = randn(size_t(kN * kShape.out), rng);
  std::vector<float> B(static_cast<size_t>(kShape.out * kShape.rank), 0.0f);  // LoRA's zero start
  const std::vector<float> W0 = W;
  std::vector<float> y(c.size()), xa(static_cast<size_t>(kN * kShape.rank)), plain(c.size());
  // Fresh adapter: the layer is unchanged.
  lora_forward(y.data(), xa.data(), x.data(), W.data(), A.data(), B.data(), kN, kShape);
  std::vector<float> merged(W.size());
  lora_merge(merged.data(), W.data(), A.data(), B.data(), kShape);
  EXPECT_EQ(merged, W);
  // Train only the adapter for a few AdamW steps.
  std::vector<float> params(A), grads(A.size() + B.size());
  params.insert(params.end(), B.begin(), B.end());
  AdamW opt({}, int64_t(params.size()));
  const ParamSegment seg[] = {{params.data(), grads.data(), int64_t(params.size()), true}};
  for (int step = 0; step < 5; ++step) {
    const float* Ap = params.data();
    const float* Bp = params.data() + A.size();
    lora_forward(y.data(), xa.data(), x.data(), W.data(), Ap, Bp, kN, kShape);
    std::fill(grads.begin(), grads.end(), 0.0f);
    lora_backward(nullptr, grads.data(), grads.data() + A.size(), c.data(), x.data(), xa.data(),
                  W.data(), Ap, Bp, kN, kShape);
    opt.step(seg, 1e-2f);
  }
  EXPECT_EQ(std::memcmp(W.data(), W0.data(), W.size() * sizeof(float)), 0) << "frozen W changed";
  const float* Ap = params.data();
  const float* Bp = params.data() + A.size();
  lora_forward(y.data(), xa.data(), x.data(), W.data(), Ap, Bp, kN, kShape);
  lora_merge(merged.data(), W.data(), Ap, Bp, kShape);
  bool adapted = false;
  for (int64_t n = 0; n < kN; ++n)
    for (int64_t o = 0; o < kShape.out; ++o) {
      float acc = 0.0f, base = 0.0f;
      for (int64_t i = 0; i < kShape.in; ++i) {
        acc += merged[size_t(o * kShape.in + i)] * x[size_t(n * kShape.in + i)];
        base += W[size_t(o * kShape.in + i)] * x[size_t(n * kShape.in + i)];
      }
      EXPECT_NEAR(acc, y[size_t(n * kShape.out + o)], 1e-4f);
      adapted |= std::fabs(acc - base) > 1e-3f;
    }
  EXPECT_TRUE(adapted) << "the adapter steps changed nothing: the merge check would be vacuous";
}

}  // namespace
}  // namespace tock
