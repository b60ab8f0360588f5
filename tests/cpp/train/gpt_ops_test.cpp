// The training ops' backward passes against central finite differences of an independent
// double-precision forward written here from the formulas; each objective is J = Σ out·R for a
// fixed random R, so the backward is called with dout = R. Also: the fast matmul against its
// reference on awkward sizes, and the float forwards against the double ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "kernels/attention_backward.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/embedding_backward.hpp"
#include "kernels/gelu_backward.hpp"
#include "kernels/layernorm_backward.hpp"
#include "kernels/matmul_backward.hpp"

namespace tock {

namespace {

using Vec = std::vector<double>;
using Fn = std::function<Vec(const Vec&)>;

Vec random_vec(size_t n, uint32_t seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, scale);
  Vec v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<float> to_float(const Vec& v) { return std::vector<float>(v.begin(), v.end()); }

// dJ/dx for J(x) = Σ f(x)·R, by central differences (h small: f is double precision).
Vec numeric_grad(const Fn& f, Vec x, const Vec& R, double h = 1e-6) {
  Vec g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const Vec up = f(x);
    x[i] = x0 - h;
    const Vec down = f(x);
    x[i] = x0;
    double s = 0.0;
    for (size_t j = 0; j < R.size(); ++j) s += (up[j] - down[j]) * R[j];
    g[i] = s / (2 * h);
  }
  return g;
}

// max |got - want| / max |want|.
double rel_error(const std::vector<float>& got, const Vec& want) {
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

// ---- double-precision forwards, straight from the formulas ---------------------------------

Vec layernorm_d(const Vec& x, const Vec& w, const Vec& b, int64_t N, int64_t C, double eps) {
  Vec out(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < C; ++i) m += x[n * C + i] / C;
    for (int64_t i = 0; i < C; ++i) v += (x[n * C + i] - m) * (x[n * C + i] - m) / C;
    for (int64_t i = 0; i < C; ++i)
      out[n * C + i] = (x[n * C + i] - m) / std::sqrt(v + eps) * w[i] + b[i];
  }
  return out;
}

Vec matmul_d(const Vec& x, const Vec& W, const Vec& b, int64_t N, int64_t C, int64_t OC) {
  Vec out(N * OC);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o) {
      double s = b.empty() ? 0.0 : b[o];
      for (int64_t i = 0; i < C; ++i) s += x[n * C + i] * W[o * C + i];
      out[n * OC + o] = s;
    }
  return out;
}

Vec attention_d(const Vec& qkv, int64_t B, int64_t T, int64_t C, int64_t NH) {
  const int64_t HS = C / NH;
  Vec out(B * T * C, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < NH; ++h)
      for (int64_t t = 0; t < T; ++t) {
        Vec s(t + 1);
        double maxv = -1e300, sum = 0;
        for (int64_t t2 = 0; t2 <= t; ++t2) {
          double d = 0;
          for (int64_t i = 0; i < HS; ++i)
            d += qkv[(b * T + t) * 3 * C + h * HS + i] * qkv[(b * T + t2) * 3 * C + C + h * HS + i];
          s[t2] = d / std::sqrt(double(HS));
          maxv = std::max(maxv, s[t2]);
        }
        for (auto& x : s) sum += (x = std::exp(x - maxv));
        for (int64_t t2 = 0; t2 <= t; ++t2)
          for (int64_t i = 0; i < HS; ++i)
            out[(b * T + t) * C + h * HS + i] +=
                s[t2] / sum * qkv[(b * T + t2) * 3 * C + 2 * C + h * HS + i];
      }
  return out;
}

Vec gelu_d(const Vec& x) {
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = 0.5 * x[i] * (1 + std::tanh(std::sqrt(2 / M_PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i])));
  return out;
}

Vec crossentropy_d(const Vec& logits, const std::vector<int32_t>& targets, int64_t N, int64_t V) {
  Vec losses(N);
  for (int64_t n = 0; n < N; ++n) {
    double maxv = -1e300, sum = 0;
    for (int64_t v = 0; v < V; ++v) maxv = std::max(maxv, logits[n * V + v]);
    for (int64_t v = 0; v < V; ++v) sum += std::exp(logits[n * V + v] - maxv);
    losses[n] = std::log(sum) + maxv - logits[n * V + targets[n]];
  }
  return losses;
}

constexpr double kTol = 1e-4;  // float backward vs double finite differences, relative to scale

}  // namespace

TEST(GptOps, LayernormBackwardMatchesFiniteDifferences) {
  const int64_t N = 5, C = 7;
  const double eps = 1e-5;
  const Vec x = random_vec(N * C, 1, 2.0), w = random_vec(C, 2), b = random_vec(C, 3),
            R = random_vec(N * C, 4);
  std::vector<float> out(N * C), mean(N), rstd(N);
  const auto xf = to_float(x), wf = to_float(w), bf = to_float(b), Rf = to_float(R);
  layernorm_forward(out.data(), mean.data(), rstd.data(), xf.data(), wf.data(), bf.data(), N, C,
                    float(eps));
  EXPECT_LT(rel_error(out, layernorm_d(x, w, b, N, C, eps)), 1e-5);
  std::vector<float> dx(N * C, 0.0f), dw(C, 0.0f), db(C, 0.0f);
  layernorm_backward(dx.data(), dw.data(), db.data(), Rf.data(), xf.data(), wf.data(), mean.data(),
                     rstd.data(), N, C);
  EXPECT_LT(rel_error(dx, numeric_grad([&](const Vec& v) { return layernorm_d(v, w, b, N, C, eps); }, x, R)), kTol);
  EXPECT_LT(rel_error(dw, numeric_grad([&](const Vec& v) { return layernorm_d(x, v, b, N, C, eps); }, w, R)), kTol);
  EXPECT_LT(rel_error(db, numeric_grad([&](const Vec& v) { return layernorm_d(x, w, v, N, C, eps); }, b, R)), kTol);
}

TEST(GptOps, MatmulBackwardMatchesFiniteDifferences) {
  const int64_t N = 6, C = 5, OC = 7;
  const Vec x = random_vec(N * C, 5), W = random_vec(OC * C, 6), b = random_vec(OC, 7),
            R = random_vec(N * OC, 8);
  const auto xf = to_float(x), Wf = to_float(W), bf = to_float(b), Rf = to_float(R);
  std::vector<float> out(N * OC);
  matmul_forward(out.data(), xf.data(), Wf.data(), bf.data(), N, C, OC);
  EXPECT_LT(rel_error(out, matmul_d(x, W, b, N, C, OC)), 1e-6);
  std::vector<float> dx(N * C, 0.0f), dW(OC * C, 0.0f), db(OC, 0.0f);
  matmul_backward(dx.data(), dW.data(), db.data(), Rf.data(), xf.data(), Wf.data(), N, C, OC);
  EXPECT_LT(rel_error(dx, numeric_grad([&](const Vec& v) { return matmul_d(v, W, b, N, C, OC); }, x, R)), kTol);
  EXPECT_LT(rel_error(dW, numeric_grad([&](const Vec& v) { return matmul_d(x, v, b, N, C, OC); }, W, R)), kTol);
  EXPECT_LT(rel_error(db, numeric_grad([&](const Vec& v) { return matmul_d(x, W, v, N, C, OC); }, b, R)), kTol);
}

TEST(GptOps, MatmulFastMatchesReferenceOnAwkwardSizes) {
  // Rows not a multiple of the 8-row tile, C past one 256-deep block, OC not a multiple of 4.
  for (auto [N, C, OC] : {std::tuple<int64_t, int64_t, int64_t>{13, 300, 7}, {1, 3, 1}, {17, 256, 12}, {8, 513, 5}}) {
    const auto x = to_float(random_vec(N * C, 9)), W = to_float(random_vec(OC * C, 10)),
               b = to_float(random_vec(OC, 11)), dout = to_float(random_vec(N * OC, 12));
    std::vector<float> y(N * OC), y_ref(N * OC);
    matmul_forward(y.data(), x.data(), W.data(), b.data(), N, C, OC);
    matmul_forward_ref(y_ref.data(), x.data(), W.data(), b.data(), N, C, OC);
    EXPECT_LT(rel_error(y, Vec(y_ref.begin(), y_ref.end())), 1e-5) << N << "x" << C << "x" << OC;
    matmul_forward(y.data(), x.data(), W.data(), nullptr, N, C, OC);
    matmul_forward_ref(y_ref.data(), x.data(), W.data(), nullptr, N, C, OC);
    EXPECT_LT(rel_error(y, Vec(y_ref.begin(), y_ref.end())), 1e-5) << "no bias";
    // The backward accumulates: start both from the same non-zero values.
    std::vector<float> dx(N * C, 0.5f), dW(OC * C, -0.25f), db(OC, 1.0f);
    auto dx_ref = dx, dW_ref = dW, db_ref = db;
    matmul_backward(dx.data(), dW.data(), db.data(), dout.data(), x.data(), W.data(), N, C, OC);
    matmul_backward_ref(dx_ref.data(), dW_ref.data(), db_ref.data(), dout.data(), x.data(), W.data(), N, C, OC);
    EXPECT_LT(rel_error(dx, Vec(dx_ref.begin(), dx_ref.end())), 1e-5);
    EXPECT_LT(rel_error(dW, Vec(dW_ref.begin(), dW_ref.end())), 1e-5);
    EXPECT_LT(rel_error(db, Vec(db_ref.begin(), db_ref.end())), 1e-5);
  }
}

TEST(GptOps, AttentionBackwardMatchesFiniteDifferences) {
  const int64_t B = 2, T = 5, C = 6, NH = 2;
  const Vec qkv = random_vec(B * T * 3 * C, 13), R = random_vec(B * T * C, 14);
  const auto qkvf = to_float(qkv), Rf = to_float(R);
  std::vector<float> out(B * T * C), att(B * NH * T * T);
  attention_forward(out.data(), att.data(), qkvf.data(), B, T, C, NH);
  EXPECT_LT(rel_error(out, attention_d(qkv, B, T, C, NH)), 1e-5);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t t2 = t + 1; t2 < T; ++t2) EXPECT_EQ(att[t * T + t2], 0.0f) << "causal mask";
  std::vector<float> dqkv(B * T * 3 * C, 0.0f), scratch(B * NH * T);
  attention_backward(dqkv.data(), scratch.data(), Rf.data(), qkvf.data(), att.data(), B, T, C, NH);
  EXPECT_LT(rel_error(dqkv, numeric_grad([&](const Vec& v) { return attention_d(v, B, T, C, NH); }, qkv, R)), kTol);
}

TEST(GptOps, GeluBackwardMatchesFiniteDifferences) {
  const Vec x = random_vec(40, 15, 2.0), R = random_vec(40, 16);
  const auto xf = to_float(x), Rf = to_float(R);
  std::vector<float> out(40), dx(40, 0.0f);
  gelu_forward(out.data(), xf.data(), 40);
  EXPECT_LT(rel_error(out, gelu_d(x)), 1e-6);
  gelu_backward(dx.data(), xf.data(), Rf.data(), 40);
  EXPECT_LT(rel_error(dx, numeric_grad(gelu_d, x, R)), kTol);
}

TEST(GptOps, CrossEntropyBackwardMatchesFiniteDifferences) {
  const int64_t N = 4, V = 9;
  const Vec logits = random_vec(N * V, 17, 3.0), R = random_vec(N, 18);
  const std::vector<int32_t> targets = {0, 8, 3, 3};
  const auto lf = to_float(logits), Rf = to_float(R);
  std::vector<float> losses(N), probs(N * V), dlogits(N * V, 0.0f);
  crossentropy_forward(losses.data(), probs.data(), lf.data(), targets.data(), N, V);
  EXPECT_LT(rel_error(losses, crossentropy_d(logits, targets, N, V)), 1e-6);
  for (int64_t n = 0; n < N; ++n) {
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += probs[n * V + v];
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
  crossentropy_backward(dlogits.data(), Rf.data(), probs.data(), targets.data(), N, V);
  EXPECT_LT(rel_error(dlogits, numeric_grad([&](const Vec& v) { return crossentropy_d(v, targets, N, V); }, logits, R)), kTol);
}

TEST(GptOps, CrossEntropyLossIsExactForVeryUnlikelyTargets) {
  // A target 200 nats below the best logit: its probability underflows in f32, its loss must not.
  const std::vector<float> logits = {0.0f, -200.0f};
  const std::vector<int32_t> target = {1};
  float loss, probs[2];
  crossentropy_forward(&loss, probs, logits.data(), target.data(), 1, 2);
  EXPECT_NEAR(loss, 200.0f, 1e-3f);
}

TEST(GptOps, EncoderBackwardAccumulatesRepeatedTokens) {
  const int64_t B = 2, T = 3, C = 4, V = 5;
  const std::vector<int32_t> tokens = {1, 3, 1, 1, 0, 4};  // token 1 three times
  const Vec wte = random_vec(V * C, 19), wpe = random_vec(T * C, 20), R = random_vec(B * T * C, 21);
  auto f = [&](const Vec& e, const Vec& p) {
    Vec out(B * T * C);
    for (int64_t r = 0; r < B * T; ++r)
      for (int64_t i = 0; i < C; ++i) out[r * C + i] = e[tokens[r] * C + i] + p[(r % T) * C + i];
    return out;
  };
  const auto wtef = to_float(wte), wpef = to_float(wpe), Rf = to_float(R);
  std::vector<float> out(B * T * C), dwte(V * C, 0.0f), dwpe(T * C, 0.0f);
  encoder_forward(out.data(), tokens.data(), wtef.data(), wpef.data(), B, T, C);
  EXPECT_LT(rel_error(out, f(wte, wpe)), 1e-6);
  encoder_backward(dwte.data(), dwpe.data(), Rf.data(), tokens.data(), B, T, C);
  EXPECT_LT(rel_error(dwte, numeric_grad([&](const Vec& v) { return f(v, wpe); }, wte, R)), kTol);
  EXPECT_LT(rel_error(dwpe, numeric_grad([&](const Vec& v) { return f(wte, v); }, wpe, R)), kTol);
}

}  // namespace tock
