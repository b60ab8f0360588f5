// LlamaTrainModel::from_gguf: a pretrained llama-arch GGUF's weights, dequantized to f32, as the
// parameter block of a training model (fine-tuning's start). GGUF stores a linear weight
// (out, in) with ne = {in, out}, i.e. the same row-major layout as PyTorch's (out, in), and the
// q/k rows already in the adjacent-pairs RoPE order this model uses: tensors copy unchanged.
#include <string>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "kernels/dequant.hpp"
#include "model/config.hpp"
#include "train/llama_train.hpp"

namespace tock {

std::unique_ptr<LlamaTrainModel> LlamaTrainModel::from_gguf(const std::string& path) {
  const GgufFile file = GgufFile::open(path);
  const ModelConfig mc = read_model_config(file);
  if (mc.norm != NormKind::rms || mc.ffn != FfnKind::swiglu ||
      mc.positions != PositionKind::rope || mc.rope_style != RopeStyle::adjacent)
    fail(path, ": architecture '", mc.arch, "' is not a Llama-style model (RMSNorm, SwiGLU, ",
         "RoPE on adjacent pairs)");
  if (mc.rope_dim != mc.head_dim)
    fail(path, ": rope.dimension_count ", mc.rope_dim, " differs from the head size ",
         mc.head_dim, " (partial RoPE is not supported for training)");
  const GgufTensorInfo* embd = file.find_tensor("token_embd.weight");
  if (!embd) fail(path, ": missing tensor 'token_embd.weight'");

  LlamaTrainConfig c;
  c.max_seq_len = mc.n_ctx_train;
  c.vocab_size = embd->ne[1];
  c.n_layer = mc.n_layer;
  c.n_head = mc.n_head;
  c.n_kv_head = mc.n_head_kv;
  c.channels = mc.n_embd;
  c.ffn_hidden = mc.n_ff;
  c.norm_eps = mc.norm_eps;
  c.rope_base = mc.rope_base;
  c.tied_output = file.find_tensor("output.weight") == nullptr;
  std::unique_ptr<LlamaTrainModel> model(new LlamaTrainModel(c));

  // Copies tensor `name` (ne = {in, out} or {C}) into dst, checking its shape.
  auto load = [&](const std::string& name, float* dst, int64_t out, int64_t in) {
    const GgufTensorInfo* info = file.find_tensor(name);
    if (!info) fail(path, ": missing tensor '", name, "'");
    const int64_t ne1 = info->n_dims >= 2 ? info->ne[1] : 1;
    if (info->ne[0] != in || ne1 != out || info->ne[2] != 1 || info->ne[3] != 1)
      fail(path, ": tensor '", name, "' has shape [", info->ne[0], ", ", ne1, ", ", info->ne[2],
           ", ", info->ne[3], "], expected [", in, ", ", out, "]");
    const std::vector<float> w = dequantize(file.view(*info));
    std::copy(w.begin(), w.end(), dst);
  };
  const int64_t C = c.channels, KV = c.kv_dim(), F = c.ffn_hidden, V = c.vocab_size;
  const LlamaParams& p = model->params_;
  load("token_embd.weight", p[kTokEmbd], V, C);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string b = cat("blk.", l, ".");
    for (const char* bias : {"attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.bias"})
      if (file.find_tensor(b + bias))
        fail(path, ": tensor '", b, bias, "': attention biases are not supported for training");
    load(b + "attn_norm.weight", p[kAttnNorm] + l * C, 1, C);
    load(b + "attn_q.weight", p[kWq] + l * C * C, C, C);
    load(b + "attn_k.weight", p[kWk] + l * KV * C, KV, C);
    load(b + "attn_v.weight", p[kWv] + l * KV * C, KV, C);
    load(b + "attn_output.weight", p[kWo] + l * C * C, C, C);
    load(b + "ffn_norm.weight", p[kFfnNorm] + l * C, 1, C);
    load(b + "ffn_gate.weight", p[kWGate] + l * F * C, F, C);
    load(b + "ffn_up.weight", p[kWUp] + l * F * C, F, C);
    load(b + "ffn_down.weight", p[kWDown] + l * C * F, C, F);
  }
  load("output_norm.weight", p[kOutputNorm], 1, C);
  if (!c.tied_output) load("output.weight", p[kOutput], V, C);
  return model;
}

}  // namespace tock
