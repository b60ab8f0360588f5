#include "train/gpt.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention_backward.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/embedding_backward.hpp"
#include "kernels/gelu_backward.hpp"
#include "kernels/layernorm_backward.hpp"
#include "kernels/matmul_backward.hpp"
#include "train/random.hpp"

namespace tock {

const std::array<const char*, kGptParamTensors> kGptParamNames = {
    "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
    "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb",
};

void validate(const GptConfig& c) {
  if (c.max_seq_len < 1 || c.vocab_size < 1 || c.n_layer < 1 || c.n_head < 1 || c.channels < 1)
    fail("gpt config: sizes must be positive (maxT=", c.max_seq_len, ", V=", c.vocab_size,
         ", L=", c.n_layer, ", NH=", c.n_head, ", C=", c.channels, ")");
  if (c.channels % c.n_head != 0)
    fail("gpt config: channels ", c.channels, " not divisible by heads ", c.n_head);
  if (!(c.norm_eps > 0.0f)) fail("gpt config: norm_eps must be positive, got ", c.norm_eps);
}

std::array<int64_t, kGptParamTensors> gpt_param_sizes(const GptConfig& c) {
  const int64_t V = c.vocab_size, C = c.channels, L = c.n_layer, maxT = c.max_seq_len;
  return {V * C,     maxT * C,  L * C,     L * C,     L * 3 * C * C, L * 3 * C,
          L * C * C, L * C,     L * C,     L * C,     L * 4 * C * C, L * 4 * C,
          L * C * 4 * C, L * C, C,         C};
}

bool gpt_param_decays(int tensor) {
  return tensor == kWte || tensor == kWpe || tensor == kQkvw || tensor == kAttprojw ||
         tensor == kFcw || tensor == kFcprojw;
}

GptParams gpt_param_views(const GptConfig& config, float* base) {
  GptParams p;
  const auto sizes = gpt_param_sizes(config);
  for (int i = 0; i < kGptParamTensors; ++i) {
    p.t[size_t(i)] = base;
    base += sizes[size_t(i)];
  }
  return p;
}

namespace {

// Standard normal from two uniforms (Box–Muller), in double so every platform rounds alike.
double normal(SplitMix64& rng) {
  const double u1 = (double(rng.next() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  const double u2 = double(rng.next() >> 11) * 0x1.0p-53;          // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// out = a + b: the residual connection. All (N).
void residual_forward(float* out, const float* a, const float* b, int64_t N) {
  parallel_for(N, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = a[i] + b[i];
  }, 4096);
}

}  // namespace

GptModel::GptModel(const GptConfig& config, uint64_t seed) : config_(config) {
  validate(config_);
  sizes_ = gpt_param_sizes(config_);
  int64_t n = 0;
  for (int64_t s : sizes_) n += s;
  params_memory_.assign(size_t(n), 0.0f);
  grads_memory_.assign(size_t(n), 0.0f);
  params_ = gpt_param_views(config_, params_memory_.data());
  grads_ = gpt_param_views(config_, grads_memory_.data());

  SplitMix64 rng(seed);
  const double std_base = 0.02;
  const double std_proj = 0.02 / std::sqrt(2.0 * double(config_.n_layer));
  for (int i = 0; i < kGptParamTensors; ++i) {
    float* p = params_[i];
    const int64_t count = sizes_[size_t(i)];
    if (i == kLn1w || i == kLn2w || i == kLnfw) {
      for (int64_t j = 0; j < count; ++j) p[j] = 1.0f;
    } else if (gpt_param_decays(i)) {  // the matrices
      const double sd = (i == kAttprojw || i == kFcprojw) ? std_proj : std_base;
      for (int64_t j = 0; j < count; ++j) p[j] = float(sd * normal(rng));
    }  // biases stay 0
  }
}

std::array<ParamSegment, kGptParamTensors> GptModel::param_segments() {
  std::array<ParamSegment, kGptParamTensors> s;
  for (int i = 0; i < kGptParamTensors; ++i)
    s[size_t(i)] = {params_[i], grads_[i], sizes_[size_t(i)], gpt_param_decays(i)};
  return s;
}

void GptModel::allocate(int64_t B, int64_t T) {
  if (B == B_ && T == T_) return;
  const int64_t C = config_.channels, L = config_.n_layer, NH = config_.n_head,
                V = config_.vocab_size, BT = B * T;
  // Activations: one block, carved in the order of GptActs.
  const int64_t act_sizes[] = {
      BT * C,           // encoded
      L * BT * C,       // ln1
      L * BT,           // ln1_mean
      L * BT,           // ln1_rstd
      L * BT * 3 * C,   // qkv
      L * BT * C,       // atty
      L * B * NH * T * T,  // att
      L * BT * C,       // attproj
      L * BT * C,       // residual2
      L * BT * C,       // ln2
      L * BT,           // ln2_mean
      L * BT,           // ln2_rstd
      L * BT * 4 * C,   // fch
      L * BT * 4 * C,   // fch_gelu
      L * BT * C,       // fcproj
      L * BT * C,       // residual3
      BT * C,           // lnf
      BT,               // lnf_mean
      BT,               // lnf_rstd
      BT * V,           // logits
      BT * V,           // probs
      BT,               // losses
  };
  float** act_ptrs[] = {
      &acts_.encoded, &acts_.ln1, &acts_.ln1_mean, &acts_.ln1_rstd, &acts_.qkv, &acts_.atty,
      &acts_.att, &acts_.attproj, &acts_.residual2, &acts_.ln2, &acts_.ln2_mean, &acts_.ln2_rstd,
      &acts_.fch, &acts_.fch_gelu, &acts_.fcproj, &acts_.residual3, &acts_.lnf, &acts_.lnf_mean,
      &acts_.lnf_rstd, &acts_.logits, &acts_.probs, &acts_.losses,
  };
  static_assert(sizeof(act_sizes) / sizeof(act_sizes[0]) == sizeof(act_ptrs) / sizeof(act_ptrs[0]));
  int64_t total = 0;
  for (int64_t s : act_sizes) total += s;
  acts_memory_.assign(size_t(total), 0.0f);
  float* base = acts_memory_.data();
  for (size_t i = 0; i < sizeof(act_sizes) / sizeof(act_sizes[0]); ++i) {
    *act_ptrs[i] = base;
    base += act_sizes[i];
  }
  // Gradients of activations, in the order of GptGradActs.
  const int64_t grad_sizes[] = {BT * C, BT * C, BT * C, BT * 3 * C, BT * 4 * C, BT * 4 * C,
                                BT * V, BT, B * NH * T};
  float** grad_ptrs[] = {&grad_acts_.dresidual, &grad_acts_.dln,     &grad_acts_.datty,
                         &grad_acts_.dqkv,      &grad_acts_.dfch,    &grad_acts_.dfch_gelu,
                         &grad_acts_.dlogits,   &grad_acts_.dlosses, &grad_acts_.attn_scratch};
  total = 0;
  for (int64_t s : grad_sizes) total += s;
  grad_acts_memory_.assign(size_t(total), 0.0f);
  base = grad_acts_memory_.data();
  for (size_t i = 0; i < sizeof(grad_sizes) / sizeof(grad_sizes[0]); ++i) {
    *grad_ptrs[i] = base;
    base += grad_sizes[i];
  }
  inputs_.assign(size_t(BT), 0);
  targets_.assign(size_t(BT), 0);
  B_ = B;
  T_ = T;
}

float GptModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) {
  const int64_t C = config_.channels, L = config_.n_layer, NH = config_.n_head,
                V = config_.vocab_size;
  if (B < 1 || T < 1) fail("gpt forward: batch shape (", B, ", ", T, ") is empty");
  if (T > config_.max_seq_len)
    fail("gpt forward: sequence length ", T, " exceeds the model's ", config_.max_seq_len);
  const int64_t BT = B * T;
  for (int64_t i = 0; i < BT; ++i) {
    if (inputs[i] < 0 || inputs[i] >= V)
      fail("gpt forward: input token ", inputs[i], " at ", i, " outside vocabulary of ", V);
    if (targets[i] < 0 || targets[i] >= V)
      fail("gpt forward: target token ", targets[i], " at ", i, " outside vocabulary of ", V);
  }
  allocate(B, T);
  std::memcpy(inputs_.data(), inputs, size_t(BT) * sizeof(int32_t));
  std::memcpy(targets_.data(), targets, size_t(BT) * sizeof(int32_t));

  const GptParams& p = params_;
  GptActs& a = acts_;
  const float eps = config_.norm_eps;
  encoder_forward(a.encoded, inputs, p[kWte], p[kWpe], B, T, C);
  for (int64_t l = 0; l < L; ++l) {
    const float* residual = l == 0 ? a.encoded : a.residual3 + (l - 1) * BT * C;
    float* ln1 = a.ln1 + l * BT * C;
    float* qkv = a.qkv + l * BT * 3 * C;
    float* atty = a.atty + l * BT * C;
    float* att = a.att + l * B * NH * T * T;
    float* attproj = a.attproj + l * BT * C;
    float* residual2 = a.residual2 + l * BT * C;
    float* ln2 = a.ln2 + l * BT * C;
    float* fch = a.fch + l * BT * 4 * C;
    float* fch_gelu = a.fch_gelu + l * BT * 4 * C;
    float* fcproj = a.fcproj + l * BT * C;
    float* residual3 = a.residual3 + l * BT * C;

    layernorm_forward(ln1, a.ln1_mean + l * BT, a.ln1_rstd + l * BT, residual,
                      p[kLn1w] + l * C, p[kLn1b] + l * C, BT, C, eps);
    matmul_forward(qkv, ln1, p[kQkvw] + l * 3 * C * C, p[kQkvb] + l * 3 * C, BT, C, 3 * C);
    attention_forward(atty, att, qkv, B, T, C, NH);
    matmul_forward(attproj, atty, p[kAttprojw] + l * C * C, p[kAttprojb] + l * C, BT, C, C);
    residual_forward(residual2, residual, attproj, BT * C);
    layernorm_forward(ln2, a.ln2_mean + l * BT, a.ln2_rstd + l * BT, residual2,
                      p[kLn2w] + l * C, p[kLn2b] + l * C, BT, C, eps);
    matmul_forward(fch, ln2, p[kFcw] + l * 4 * C * C, p[kFcb] + l * 4 * C, BT, C, 4 * C);
    gelu_forward(fch_gelu, fch, BT * 4 * C);
    matmul_forward(fcproj, fch_gelu, p[kFcprojw] + l * C * 4 * C, p[kFcprojb] + l * C, BT,
                   4 * C, C);
    residual_forward(residual3, residual2, fcproj, BT * C);
  }
  const float* last = a.residual3 + (L - 1) * BT * C;
  layernorm_forward(a.lnf, a.lnf_mean, a.lnf_rstd, last, p[kLnfw], p[kLnfb], BT, C, eps);
  matmul_forward(a.logits, a.lnf, p[kWte], nullptr, BT, C, V);  // tied output layer
  crossentropy_forward(a.losses, a.probs, a.logits, targets, BT, V);
  double sum = 0.0;
  for (int64_t i = 0; i < BT; ++i) sum += a.losses[i];
  have_forward_ = true;
  return float(sum / double(BT));
}

void GptModel::zero_grad() { std::memset(grads_memory_.data(), 0, grads_memory_.size() * sizeof(float)); }

void GptModel::backward() {
  if (!have_forward_) fail("gpt backward: no forward pass to differentiate");
  const int64_t B = B_, T = T_, C = config_.channels, L = config_.n_layer, NH = config_.n_head,
                V = config_.vocab_size, BT = B * T;
  const GptParams& p = params_;
  const GptParams& g = grads_;
  const GptActs& a = acts_;
  GptGradActs& d = grad_acts_;
  auto zero = [](float* x, int64_t n) { std::memset(x, 0, size_t(n) * sizeof(float)); };

  // mean loss = Σ losses / BT.
  for (int64_t i = 0; i < BT; ++i) d.dlosses[i] = 1.0f / float(BT);
  zero(d.dlogits, BT * V);
  crossentropy_backward(d.dlogits, d.dlosses, a.probs, targets_.data(), BT, V);
  zero(d.dln, BT * C);
  matmul_backward(d.dln, g[kWte], nullptr, d.dlogits, a.lnf, p[kWte], BT, C, V);
  zero(d.dresidual, BT * C);
  const float* last = a.residual3 + (L - 1) * BT * C;
  layernorm_backward(d.dresidual, g[kLnfw], g[kLnfb], d.dln, last, p[kLnfw], a.lnf_mean,
                     a.lnf_rstd, BT, C);

  // d.dresidual holds d(residual3 of layer l); the residual connections pass it through
  // unchanged, and each branch's backward adds its contribution.
  for (int64_t l = L - 1; l >= 0; --l) {
    const float* residual = l == 0 ? a.encoded : a.residual3 + (l - 1) * BT * C;
    const float* ln1 = a.ln1 + l * BT * C;
    const float* qkv = a.qkv + l * BT * 3 * C;
    const float* atty = a.atty + l * BT * C;
    const float* att = a.att + l * B * NH * T * T;
    const float* residual2 = a.residual2 + l * BT * C;
    const float* ln2 = a.ln2 + l * BT * C;
    const float* fch = a.fch + l * BT * 4 * C;
    const float* fch_gelu = a.fch_gelu + l * BT * 4 * C;

    // MLP branch: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))).
    zero(d.dfch_gelu, BT * 4 * C);
    matmul_backward(d.dfch_gelu, g[kFcprojw] + l * C * 4 * C, g[kFcprojb] + l * C, d.dresidual,
                    fch_gelu, p[kFcprojw] + l * C * 4 * C, BT, 4 * C, C);
    zero(d.dfch, BT * 4 * C);
    gelu_backward(d.dfch, fch, d.dfch_gelu, BT * 4 * C);
    zero(d.dln, BT * C);
    matmul_backward(d.dln, g[kFcw] + l * 4 * C * C, g[kFcb] + l * 4 * C, d.dfch, ln2,
                    p[kFcw] + l * 4 * C * C, BT, C, 4 * C);
    layernorm_backward(d.dresidual, g[kLn2w] + l * C, g[kLn2b] + l * C, d.dln, residual2,
                       p[kLn2w] + l * C, a.ln2_mean + l * BT, a.ln2_rstd + l * BT, BT, C);
    // Attention branch: residual2 = residual + attproj(attention(qkv(ln1(residual)))).
    zero(d.datty, BT * C);
    matmul_backward(d.datty, g[kAttprojw] + l * C * C, g[kAttprojb] + l * C, d.dresidual, atty,
                    p[kAttprojw] + l * C * C, BT, C, C);
    zero(d.dqkv, BT * 3 * C);
    attention_backward(d.dqkv, d.attn_scratch, d.datty, qkv, att, B, T, C, NH);
    zero(d.dln, BT * C);
    matmul_backward(d.dln, g[kQkvw] + l * 3 * C * C, g[kQkvb] + l * 3 * C, d.dqkv, ln1,
                    p[kQkvw] + l * 3 * C * C, BT, C, 3 * C);
    layernorm_backward(d.dresidual, g[kLn1w] + l * C, g[kLn1b] + l * C, d.dln, residual,
                       p[kLn1w] + l * C, a.ln1_mean + l * BT, a.ln1_rstd + l * BT, BT, C);
  }
  encoder_backward(g[kWte], g[kWpe], d.dresidual, inputs_.data(), B, T, C);
}

}  // namespace tock
