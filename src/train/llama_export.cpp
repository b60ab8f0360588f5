#include "train/llama_export.hpp"

#include "core/error.hpp"
#include "core/float16.hpp"
#include "io/gguf.hpp"
#include "train/llama_train.hpp"

namespace tock {

void export_llama_gguf(const LlamaTrainModel& model, const GgufFile& tokenizer,
                       const std::string& path, const std::string& name, DType matrix_type) {
  const LlamaTrainConfig& c = model.config();
  const int64_t V = c.vocab_size, C = c.channels, L = c.n_layer, KV = c.kv_dim(),
                F = c.ffn_hidden;
  if (!tokenizer.has("tokenizer.ggml.tokens"))
    fail(tokenizer.path(), ": no tokenizer.ggml.tokens, cannot export a model with it");
  const int64_t n_tokens = int64_t(tokenizer.get("tokenizer.ggml.tokens").array_size());
  if (n_tokens != V)
    fail("export: tokenizer '", tokenizer.path(), "' has ", n_tokens,
         " tokens, the model's vocabulary is ", V);
  if (matrix_type != DType::F32 && matrix_type != DType::F16)
    fail("export: matrix type must be F32 or F16, got ", dtype_name(matrix_type));
  const bool f16 = matrix_type == DType::F16;
  const LlamaParams& p = model.param_views();

  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.set("general.name", GgufValue::of_string(name));
  w.set("general.file_type", GgufValue::of_u32(f16 ? 1 : 0));  // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
  w.set("llama.context_length", GgufValue::of_u32(uint32_t(c.max_seq_len)));
  w.set("llama.embedding_length", GgufValue::of_u32(uint32_t(C)));
  w.set("llama.block_count", GgufValue::of_u32(uint32_t(L)));
  w.set("llama.feed_forward_length", GgufValue::of_u32(uint32_t(F)));
  w.set("llama.attention.head_count", GgufValue::of_u32(uint32_t(c.n_head)));
  w.set("llama.attention.head_count_kv", GgufValue::of_u32(uint32_t(c.n_kv_head)));
  w.set("llama.rope.freq_base", GgufValue::of_f32(c.rope_base));
  w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::of_f32(c.norm_eps));
  w.set("llama.rope.dimension_count", GgufValue::of_u32(uint32_t(c.head_size())));
  w.set("llama.vocab_size", GgufValue::of_u32(uint32_t(V)));
  // Only the tokenizer.* keys travel (a tokenizer GGUF may also hold a model's other keys).
  for (const auto& [key, value] : tokenizer.metadata())
    if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);

  // ne is innermost first: a PyTorch (out, in) weight is ggml [in, out], same bytes.
  auto add = [&](const std::string& tensor, const float* data, std::vector<int64_t> ne) {
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    if (!f16 || ne.size() < 2) {
      w.add_tensor_view(tensor, DType::F32, std::move(ne), data, size_t(n) * sizeof(float));
      return;
    }
    std::vector<uint16_t> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) h[size_t(i)] = f32_to_f16(data[i]);
    w.add_tensor(tensor, DType::F16, std::move(ne), h.data(), h.size() * sizeof(uint16_t));
  };
  add("token_embd.weight", p[kTokEmbd], {C, V});
  for (int64_t l = 0; l < L; ++l) {
    const std::string b = cat("blk.", l, ".");
    add(b + "attn_norm.weight", p[kAttnNorm] + l * C, {C});
    add(b + "attn_q.weight", p[kWq] + l * C * C, {C, C});
    add(b + "attn_k.weight", p[kWk] + l * KV * C, {C, KV});
    add(b + "attn_v.weight", p[kWv] + l * KV * C, {C, KV});
    add(b + "attn_output.weight", p[kWo] + l * C * C, {C, C});
    add(b + "ffn_norm.weight", p[kFfnNorm] + l * C, {C});
    add(b + "ffn_gate.weight", p[kWGate] + l * F * C, {C, F});
    add(b + "ffn_up.weight", p[kWUp] + l * F * C, {C, F});
    add(b + "ffn_down.weight", p[kWDown] + l * C * F, {F, C});
  }
  add("output_norm.weight", p[kOutputNorm], {C});
  if (!c.tied_output) add("output.weight", p[kOutput], {C, V});
  w.write(path);
}

}  // namespace tock
