#include "train/llama_train.hpp"

#include <array>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/gqa_attention_backward.hpp"
#include "kernels/matmul_backward.hpp"
#include "kernels/rmsnorm_backward.hpp"
#include "kernels/rope_backward.hpp"
#include "kernels/swiglu_backward.hpp"
#include "train/random.hpp"

namespace tock {

const std::array<const char*, kLlamaParamTensors> kLlamaParamNames = {
    "tok_embd", "attn_norm", "wq", "wk", "wv", "wo",
    "ffn_norm", "w_gate", "w_up", "w_down", "output_norm", "output",
};

void validate(const LlamaTrainConfig& c) {
  if (c.max_seq_len < 1 || c.vocab_size < 1 || c.n_layer < 1 || c.n_head < 1 ||
      c.n_kv_head < 1 || c.channels < 1 || c.ffn_hidden < 1)
    fail("llama config: sizes must be positive (maxT=", c.max_seq_len, ", V=", c.vocab_size,
         ", L=", c.n_layer, ", NH=", c.n_head, ", NKV=", c.n_kv_head, ", C=", c.channels,
         ", F=", c.ffn_hidden, ")");
  if (c.channels % c.n_head != 0)
    fail("llama config: channels ", c.channels, " not divisible by heads ", c.n_head);
  if (c.n_head % c.n_kv_head != 0)
    fail("llama config: heads ", c.n_head, " not divisible by kv heads ", c.n_kv_head);
  if (c.head_size() % 2 != 0)
    fail("llama config: head size ", c.head_size(), " must be even for RoPE");
  if (!(c.norm_eps > 0.0f)) fail("llama config: norm_eps must be positive, got ", c.norm_eps);
  if (!(c.rope_base > 0.0f)) fail("llama config: rope_base must be positive, got ", c.rope_base);
}

std::array<std::vector<int64_t>, kLlamaParamTensors> llama_param_shapes(const LlamaTrainConfig& c) {
  const int64_t V = c.vocab_size, C = c.channels, L = c.n_layer, KV = c.kv_dim(),
                F = c.ffn_hidden;
  return {std::vector<int64_t>{V, C}, {L, C}, {L, C, C}, {L, KV, C}, {L, KV, C}, {L, C, C},
          {L, C},  {L, F, C}, {L, F, C}, {L, C, F}, {C},
          c.tied_output ? std::vector<int64_t>{} : std::vector<int64_t>{V, C}};
}

bool llama_param_decays(int tensor) {
  return tensor != kAttnNorm && tensor != kFfnNorm && tensor != kOutputNorm;
}

namespace {

// Standard normal from two uniforms (Box–Muller), in double so every platform rounds alike
// (the same draw as gpt.cpp's initialisation).
double normal(SplitMix64& rng) {
  const double u1 = (double(rng.next() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  const double u2 = double(rng.next() >> 11) * 0x1.0p-53;          // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

void zero(float* x, int64_t n) { std::memset(x, 0, size_t(n) * sizeof(float)); }

// out = a + b: the residual connection. All (N).
void residual_forward(float* out, const float* a, const float* b, int64_t N) {
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = a[i] + b[i];
  }, 4096);
}

// out[n,:] = wte[inp[n],:]. out: (N, C); wte: (V, C); ids checked by the caller.
void embedding_forward(float* out, const int32_t* inp, const float* wte, int64_t N, int64_t C) {
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      std::memcpy(out + n * C, wte + int64_t(inp[n]) * C, size_t(C) * sizeof(float));
  }, 16);
}

// dwte[inp[n],:] += dout[n,:], split by channel so repeated tokens never race.
void embedding_backward(float* dwte, const float* dout, const int32_t* inp, int64_t N, int64_t C) {
  parallel_for(C, [&](int64_t c0, int64_t c1) {
    for (int64_t n = 0; n < N; ++n) {
      float* d = dwte + int64_t(inp[n]) * C;
      const float* g = dout + n * C;
      for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
    }
  }, 64);
}

// Activation sizes in the order of LlamaActs, then those of LlamaGradActs.
constexpr int kActs = 19, kGradActs = 12;
std::array<int64_t, kActs> act_sizes(const LlamaTrainConfig& c, int64_t B, int64_t T) {
  const int64_t C = c.channels, L = c.n_layer, NH = c.n_head, KV = c.kv_dim(), F = c.ffn_hidden,
                V = c.vocab_size, BT = B * T;
  return {(L + 1) * BT * C, L * BT * C, L * BT,     L * BT * C, L * BT * KV, L * BT * KV,
          L * B * NH * T * T, L * BT * C, L * BT * C, L * BT * C, L * BT,    L * BT * F,
          L * BT * F,       L * BT * F, BT * C,     BT,         BT * V,      BT * V,
          BT};
}
std::array<int64_t, kGradActs> grad_act_sizes(const LlamaTrainConfig& c, int64_t B, int64_t T) {
  const int64_t C = c.channels, KV = c.kv_dim(), F = c.ffn_hidden, V = c.vocab_size, BT = B * T;
  return {BT * C, BT * C, BT * C, BT * C, BT * KV, BT * KV,
          BT * F, BT * F, BT * F, BT * V, BT,      B * c.n_kv_head * T};
}

// Carves `memory` into the pointers, in order.
template <size_t N>
void carve(std::vector<float>& memory, const std::array<int64_t, N>& sizes,
           const std::array<float**, N>& ptrs) {
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  memory.assign(size_t(total), 0.0f);
  float* base = memory.data();
  for (size_t i = 0; i < N; ++i) {
    *ptrs[i] = base;
    base += sizes[i];
  }
}

}  // namespace

LlamaTrainModel::LlamaTrainModel(const LlamaTrainConfig& config) : config_(config) {
  validate(config_);
  const auto shapes = llama_param_shapes(config_);
  int64_t offset = 0;
  for (int i = 0; i < kLlamaParamTensors; ++i) {
    if (shapes[size_t(i)].empty()) continue;  // tied output
    int64_t n = 1;
    for (int64_t d : shapes[size_t(i)]) n *= d;
    tensors_.push_back({kLlamaParamNames[size_t(i)], shapes[size_t(i)], offset, n,
                        llama_param_decays(i)});
    offset += n;
  }
  params_memory_.assign(size_t(offset), 0.0f);
  grads_memory_.assign(size_t(offset), 0.0f);
  size_t k = 0;
  for (int i = 0; i < kLlamaParamTensors; ++i) {
    if (shapes[size_t(i)].empty()) {
      params_.t[size_t(i)] = params_.t[kTokEmbd];
      grads_.t[size_t(i)] = grads_.t[kTokEmbd];
      continue;
    }
    params_.t[size_t(i)] = params_memory_.data() + tensors_[k].offset;
    grads_.t[size_t(i)] = grads_memory_.data() + tensors_[k].offset;
    ++k;
  }
}

LlamaTrainModel::LlamaTrainModel(const LlamaTrainConfig& config, uint64_t seed)
    : LlamaTrainModel(config) {
  SplitMix64 rng(seed);
  const double std_base = 0.02;
  const double std_proj = 0.02 / std::sqrt(2.0 * double(config_.n_layer));
  size_t k = 0;
  for (int i = 0; i < kLlamaParamTensors; ++i) {
    if (i == kOutput && config_.tied_output) continue;
    const ParamTensor& t = tensors_[k++];
    float* p = params_[i];
    if (!t.decay) {  // norm weights
      for (int64_t j = 0; j < t.numel; ++j) p[j] = 1.0f;
    } else {
      const double sd = (i == kWo || i == kWDown) ? std_proj : std_base;
      for (int64_t j = 0; j < t.numel; ++j) p[j] = float(sd * normal(rng));
    }
  }
}

std::vector<ParamTensor> LlamaTrainModel::tensors() const { return tensors_; }

void LlamaTrainModel::allocate(int64_t B, int64_t T) {
  if (B == B_ && T == T_) return;
  LlamaActs& a = acts_;
  carve(acts_memory_, act_sizes(config_, B, T),
        std::array<float**, kActs>{&a.x, &a.h1, &a.rstd1, &a.q, &a.k, &a.v, &a.att, &a.atty,
                                   &a.x2, &a.h2, &a.rstd2, &a.gate, &a.up, &a.act, &a.hf,
                                   &a.rstdf, &a.logits, &a.probs, &a.losses});
  LlamaGradActs& d = grad_acts_;
  carve(grad_acts_memory_, grad_act_sizes(config_, B, T),
        std::array<float**, kGradActs>{&d.dx, &d.dh, &d.datty, &d.dq, &d.dk, &d.dv, &d.dact,
                                       &d.dgate, &d.dup, &d.dlogits, &d.dlosses, &d.scratch});
  inputs_.assign(size_t(B * T), 0);
  targets_.assign(size_t(B * T), 0);
  B_ = B;
  T_ = T;
}

int64_t llama_activation_bytes(const LlamaTrainConfig& config, int64_t B, int64_t T) {
  int64_t n = 0;
  for (int64_t s : act_sizes(config, B, T)) n += s;
  for (int64_t s : grad_act_sizes(config, B, T)) n += s;
  return n * int64_t(sizeof(float)) + 2 * B * T * int64_t(sizeof(int32_t));
}

int64_t LlamaTrainModel::activation_bytes(int64_t B, int64_t T) const {
  return llama_activation_bytes(config_, B, T);
}

double LlamaTrainModel::flops_per_token(int64_t T) const {
  const double C = double(config_.channels), L = double(config_.n_layer),
               KV = double(config_.kv_dim()), F = double(config_.ffn_hidden),
               V = double(config_.vocab_size);
  // Parameters used in matmuls (the embedding lookup is free, the output layer is not), then
  // attention's scores and weighted sum: 2·2·C·T per layer forward, ×3 with the backward.
  const double matmul_params = L * (2.0 * C * C + 2.0 * KV * C + 3.0 * F * C) + V * C;
  return 6.0 * matmul_params + 12.0 * L * C * double(T);
}

float LlamaTrainModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B,
                               int64_t T) {
  forward_trunk(inputs, targets, B, T);
  const int64_t BT = B * T;
  LlamaActs& a = acts_;
  matmul_forward(a.logits, a.hf, params_[kOutput], nullptr, BT, config_.channels, config_.vocab_size);
  if (!targets) return 0.0f;
  std::memcpy(targets_.data(), targets, size_t(BT) * sizeof(int32_t));
  crossentropy_forward(a.losses, a.probs, a.logits, targets, BT, config_.vocab_size);
  double sum = 0.0;
  for (int64_t i = 0; i < BT; ++i) sum += a.losses[i];
  have_targets_ = true;
  return float(sum / double(BT));
}

void LlamaTrainModel::forward_trunk(const int32_t* inputs, const int32_t* targets, int64_t B,
                                    int64_t T) {
  const LlamaTrainConfig& c = config_;
  const int64_t C = c.channels, L = c.n_layer, NH = c.n_head, NKV = c.n_kv_head,
                HS = c.head_size(), KV = c.kv_dim(), F = c.ffn_hidden, V = c.vocab_size;
  if (B < 1 || T < 1) fail("llama forward: batch shape (", B, ", ", T, ") is empty");
  if (T > c.max_seq_len)
    fail("llama forward: sequence length ", T, " exceeds the model's ", c.max_seq_len);
  const int64_t BT = B * T;
  for (int64_t i = 0; i < BT; ++i) {
    if (inputs[i] < 0 || inputs[i] >= V)
      fail("llama forward: input token ", inputs[i], " at ", i, " outside vocabulary of ", V);
    if (targets && (targets[i] < 0 || targets[i] >= V))
      fail("llama forward: target token ", targets[i], " at ", i, " outside vocabulary of ", V);
  }
  allocate(B, T);
  have_targets_ = false;
  std::memcpy(inputs_.data(), inputs, size_t(BT) * sizeof(int32_t));

  const LlamaParams& p = params_;
  LlamaActs& a = acts_;
  const float eps = c.norm_eps;
  embedding_forward(a.x, inputs, p[kTokEmbd], BT, C);
  for (int64_t l = 0; l < L; ++l) {
    const float* x = a.x + l * BT * C;
    float* h1 = a.h1 + l * BT * C;
    float* q = a.q + l * BT * C;
    float* k = a.k + l * BT * KV;
    float* v = a.v + l * BT * KV;
    float* atty = a.atty + l * BT * C;
    float* x2 = a.x2 + l * BT * C;
    float* h2 = a.h2 + l * BT * C;
    float* gate = a.gate + l * BT * F;
    float* up = a.up + l * BT * F;
    float* act = a.act + l * BT * F;
    float* out = a.x + (l + 1) * BT * C;

    // Attention: x2 = x + wo · attention(rope(wq·h1), rope(wk·h1), wv·h1), h1 = rmsnorm(x).
    rmsnorm_forward(h1, a.rstd1 + l * BT, x, p[kAttnNorm] + l * C, BT, C, eps);
    matmul_forward(q, h1, p[kWq] + l * C * C, nullptr, BT, C, C);
    matmul_forward(k, h1, p[kWk] + l * KV * C, nullptr, BT, C, KV);
    matmul_forward(v, h1, p[kWv] + l * KV * C, nullptr, BT, C, KV);
    if (adapter_) adapter_->forward_qv(l, h1, q, v, BT);
    rope_forward_batch(q, B, T, NH, HS, HS, c.rope_base, RopeStyle::adjacent);
    rope_forward_batch(k, B, T, NKV, HS, HS, c.rope_base, RopeStyle::adjacent);
    gqa_attention_forward(atty, a.att + l * B * NH * T * T, q, k, v, B, T, NH, NKV, HS);
    matmul_forward(x2, atty, p[kWo] + l * C * C, nullptr, BT, C, C);
    residual_forward(x2, x, x2, BT * C);
    // MLP: out = x2 + w_down · (silu(w_gate·h2) · (w_up·h2)), h2 = rmsnorm(x2).
    rmsnorm_forward(h2, a.rstd2 + l * BT, x2, p[kFfnNorm] + l * C, BT, C, eps);
    matmul_forward(gate, h2, p[kWGate] + l * F * C, nullptr, BT, C, F);
    matmul_forward(up, h2, p[kWUp] + l * F * C, nullptr, BT, C, F);
    swiglu_forward(act, gate, up, BT * F);
    matmul_forward(out, act, p[kWDown] + l * C * F, nullptr, BT, F, C);
    residual_forward(out, x2, out, BT * C);
  }
  rmsnorm_forward(a.hf, a.rstdf, a.x + L * BT * C, p[kOutputNorm], BT, C, eps);
}

void LlamaTrainModel::zero_grad() { zero(grads_memory_.data(), int64_t(grads_memory_.size())); }

void LlamaTrainModel::backward() {
  if (!have_targets_) fail("llama backward: no forward pass with targets to differentiate");
  const int64_t C = config_.channels, V = config_.vocab_size, BT = B_ * T_;
  const LlamaParams& p = params_;
  const LlamaParams& g = grads_;
  const LlamaActs& a = acts_;
  LlamaGradActs& d = grad_acts_;

  // mean loss = Σ losses / BT.
  for (int64_t i = 0; i < BT; ++i) d.dlosses[i] = 1.0f / float(BT);
  zero(d.dlogits, BT * V);
  crossentropy_backward(d.dlogits, d.dlosses, a.probs, targets_.data(), BT, V);
  zero(d.dh, BT * C);
  matmul_backward(d.dh, g[kOutput], nullptr, d.dlogits, a.hf, p[kOutput], BT, C, V);
  backward_trunk();
}

void LlamaTrainModel::backward_from_hidden(const float* dhf) {
  if (B_ == 0) fail("llama backward_from_hidden: no forward pass to differentiate");
  std::memcpy(grad_acts_.dh, dhf, size_t(B_ * T_ * config_.channels) * sizeof(float));
  backward_trunk();
}

void LlamaTrainModel::backward_trunk() {
  const LlamaTrainConfig& c = config_;
  const int64_t B = B_, T = T_, C = c.channels, L = c.n_layer, NH = c.n_head,
                NKV = c.n_kv_head, HS = c.head_size(), KV = c.kv_dim(), F = c.ffn_hidden,
                BT = B * T;
  const LlamaParams& p = params_;
  const LlamaParams& g = grads_;
  const LlamaActs& a = acts_;
  LlamaGradActs& d = grad_acts_;
  // With an adapter the base matrices are frozen: their weight gradients are skipped.
  auto gw = [&](int tensor, int64_t offset) { return adapter_ ? nullptr : g[tensor] + offset; };
  zero(d.dx, BT * C);
  rmsnorm_backward(d.dx, g[kOutputNorm], d.dh, a.x + L * BT * C, p[kOutputNorm], a.rstdf, BT, C);

  // d.dx holds d(x[l+1]); the residual connections pass it through unchanged, and each
  // branch's backward adds its contribution.
  for (int64_t l = L - 1; l >= 0; --l) {
    const float* x = a.x + l * BT * C;
    const float* h1 = a.h1 + l * BT * C;
    const float* q = a.q + l * BT * C;
    const float* k = a.k + l * BT * KV;
    const float* v = a.v + l * BT * KV;
    const float* atty = a.atty + l * BT * C;
    const float* x2 = a.x2 + l * BT * C;
    const float* h2 = a.h2 + l * BT * C;
    const float* gate = a.gate + l * BT * F;
    const float* up = a.up + l * BT * F;
    const float* act = a.act + l * BT * F;

    // MLP branch.
    zero(d.dact, BT * F);
    matmul_backward(d.dact, gw(kWDown, l * C * F), nullptr, d.dx, act, p[kWDown] + l * C * F,
                    BT, F, C);
    zero(d.dgate, BT * F);
    zero(d.dup, BT * F);
    swiglu_backward(d.dgate, d.dup, d.dact, gate, up, BT * F);
    zero(d.dh, BT * C);
    matmul_backward(d.dh, gw(kWGate, l * F * C), nullptr, d.dgate, h2, p[kWGate] + l * F * C,
                    BT, C, F);
    matmul_backward(d.dh, gw(kWUp, l * F * C), nullptr, d.dup, h2, p[kWUp] + l * F * C, BT, C,
                    F);
    rmsnorm_backward(d.dx, g[kFfnNorm] + l * C, d.dh, x2, p[kFfnNorm] + l * C,
                     a.rstd2 + l * BT, BT, C);
    // Attention branch.
    zero(d.datty, BT * C);
    matmul_backward(d.datty, gw(kWo, l * C * C), nullptr, d.dx, atty, p[kWo] + l * C * C, BT,
                    C, C);
    zero(d.dq, BT * C);
    zero(d.dk, BT * KV);
    zero(d.dv, BT * KV);
    gqa_attention_backward(d.dq, d.dk, d.dv, d.scratch, d.datty, q, k, v,
                           a.att + l * B * NH * T * T, B, T, NH, NKV, HS);
    rope_backward_batch(d.dq, B, T, NH, HS, HS, c.rope_base, RopeStyle::adjacent);
    rope_backward_batch(d.dk, B, T, NKV, HS, HS, c.rope_base, RopeStyle::adjacent);
    zero(d.dh, BT * C);
    if (adapter_) adapter_->backward_qv(l, h1, d.dq, d.dv, d.dh, BT);
    matmul_backward(d.dh, gw(kWq, l * C * C), nullptr, d.dq, h1, p[kWq] + l * C * C, BT, C, C);
    matmul_backward(d.dh, gw(kWk, l * KV * C), nullptr, d.dk, h1, p[kWk] + l * KV * C, BT, C,
                    KV);
    matmul_backward(d.dh, gw(kWv, l * KV * C), nullptr, d.dv, h1, p[kWv] + l * KV * C, BT, C,
                    KV);
    rmsnorm_backward(d.dx, g[kAttnNorm] + l * C, d.dh, x, p[kAttnNorm] + l * C,
                     a.rstd1 + l * BT, BT, C);
  }
  if (!adapter_) embedding_backward(g[kTokEmbd], d.dx, inputs_.data(), BT, C);
}

}  // namespace tock
