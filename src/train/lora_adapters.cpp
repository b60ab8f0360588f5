#include "train/lora_adapters.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/matmul_backward.hpp"
#include "train/lora_linear.hpp"
#include "train/random.hpp"

namespace tock {

LlamaLora::LlamaLora(const LlamaTrainConfig& c, int64_t rank, float alpha, uint64_t seed)
    : L_(c.n_layer), C_(c.channels), KV_(c.kv_dim()), rank_(rank), alpha_(alpha) {
  if (rank < 1 || rank > c.channels)
    fail("lora: rank ", rank, " must be in [1, ", c.channels, "] (the model's channels)");
  if (!(alpha > 0.0f)) fail("lora: alpha must be positive, got ", alpha);
  params_.assign(size_t(offset(L_, kQA)), 0.0f);
  grads_.assign(params_.size(), 0.0f);
  SplitMix64 rng(seed);
  const double bound = 1.0 / std::sqrt(double(C_));
  for (int64_t l = 0; l < L_; ++l)
    for (Part part : {kQA, kVA}) {
      float* a = param(l, part);
      for (int64_t i = 0; i < rank_ * C_; ++i)
        a[i] = float(bound * (2.0 * double(rng.next() >> 11) * 0x1.0p-53 - 1.0));
    }
}

std::vector<int64_t> LlamaLora::shape(Part part) const {
  switch (part) {
    case kQA:
    case kVA: return {rank_, C_};
    case kQB: return {C_, rank_};
    case kVB: return {KV_, rank_};
    default: fail("lora: no part ", int(part));
  }
}

int64_t LlamaLora::offset(int64_t l, Part part) const {
  const int64_t per_layer = rank_ * (3 * C_ + KV_);
  const int64_t within[kParts] = {0, rank_ * C_, 2 * rank_ * C_, 3 * rank_ * C_};
  return l * per_layer + within[part];
}

void LlamaLora::zero_grad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

std::vector<ParamSegment> LlamaLora::segments() {
  std::vector<ParamSegment> out;
  for (int64_t l = 0; l < L_; ++l)
    for (Part part : {kQA, kQB, kVA, kVB}) {
      const auto s = shape(part);
      out.push_back({param(l, part), grad(l, part), s[0] * s[1], true});
    }
  return out;
}

void LlamaLora::merge_into(LlamaTrainModel& model) const {
  const LlamaTrainConfig& c = model.config();
  if (c.n_layer != L_ || c.channels != C_ || c.kv_dim() != KV_)
    fail("lora merge: adapters for L=", L_, " C=", C_, " KV=", KV_, " do not fit model L=",
         c.n_layer, " C=", c.channels, " KV=", c.kv_dim());
  const LlamaParams& p = model.param_views();
  for (int64_t l = 0; l < L_; ++l) {
    float* wq = p[kWq] + l * C_ * C_;
    float* wv = p[kWv] + l * KV_ * C_;
    lora_merge(wq, wq, param(l, kQA), param(l, kQB), {C_, C_, rank_, alpha_});
    lora_merge(wv, wv, param(l, kVA), param(l, kVB), {C_, KV_, rank_, alpha_});
  }
}

void LlamaLora::forward_qv(int64_t l, const float* h1, float* q, float* v, int64_t N) {
  if (N != N_) {
    xa_.assign(size_t(L_ * 2 * N * rank_), 0.0f);
    tmp_.assign(size_t(N * C_), 0.0f);
    dxa_.assign(size_t(N * rank_), 0.0f);
    N_ = N;
  }
  const float s = scale();
  auto one = [&](float* y, Part a, Part b, int64_t out, float* xa) {
    matmul_forward(xa, h1, param(l, a), nullptr, N, C_, rank_);
    matmul_forward(tmp_.data(), xa, param(l, b), nullptr, N, rank_, out);
    for (int64_t i = 0; i < N * out; ++i) y[i] += s * tmp_[size_t(i)];
  };
  float* xa = xa_.data() + l * 2 * N * rank_;
  one(q, kQA, kQB, C_, xa);
  one(v, kVA, kVB, KV_, xa + N * rank_);
}

void LlamaLora::backward_qv(int64_t l, const float* h1, const float* dq, const float* dv,
                            float* dh, int64_t N) {
  if (N != N_) fail("lora backward: ", N, " rows, the last forward had ", N_);
  const float s = scale();
  // y += s·(xa·Bᵀ), xa = h1·Aᵀ: d(tmp) = s·dy, then through both matmuls.
  auto one = [&](const float* dy, Part a, Part b, int64_t out, const float* xa) {
    for (int64_t i = 0; i < N * out; ++i) tmp_[size_t(i)] = s * dy[i];
    std::fill(dxa_.begin(), dxa_.end(), 0.0f);
    matmul_backward(dxa_.data(), grad(l, b), nullptr, tmp_.data(), xa, param(l, b), N, rank_,
                    out);
    matmul_backward(dh, grad(l, a), nullptr, dxa_.data(), h1, param(l, a), N, C_, rank_);
  };
  const float* xa = xa_.data() + l * 2 * N * rank_;
  one(dq, kQA, kQB, C_, xa);
  one(dv, kVA, kVB, KV_, xa + N * rank_);
}

}  // namespace tock
