#include "train/gpt_export.hpp"

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {

void export_gpt_gguf(const GptConfig& c, const float* params, const GgufFile& tokenizer,
                     const std::string& path, const std::string& name) {
  const int64_t V = c.vocab_size, C = c.channels, L = c.n_layer, maxT = c.max_seq_len;
  if (!tokenizer.has("tokenizer.ggml.tokens"))
    fail(tokenizer.path(), ": no tokenizer.ggml.tokens, cannot export a model with it");
  const GptParams p = gpt_param_views(c, const_cast<float*>(params));

  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("gpt2"));
  w.set("general.name", GgufValue::of_string(name));
  w.set("general.file_type", GgufValue::of_u32(0));  // LLAMA_FTYPE_ALL_F32
  w.set("gpt2.context_length", GgufValue::of_u32(uint32_t(maxT)));
  w.set("gpt2.embedding_length", GgufValue::of_u32(uint32_t(C)));
  w.set("gpt2.block_count", GgufValue::of_u32(uint32_t(L)));
  w.set("gpt2.feed_forward_length", GgufValue::of_u32(uint32_t(4 * C)));
  w.set("gpt2.attention.head_count", GgufValue::of_u32(uint32_t(c.n_head)));
  w.set("gpt2.attention.layer_norm_epsilon", GgufValue::of_f32(c.norm_eps));
  // The tokenizer GGUF from `tock tokenizer train` has no general.architecture; only its
  // tokenizer.* keys travel.
  for (const auto& [key, value] : tokenizer.metadata())
    if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);
  const int64_t n_tokens = int64_t(tokenizer.get("tokenizer.ggml.tokens").array_size());
  if (n_tokens != V)
    fail("export: tokenizer '", tokenizer.path(), "' has ", n_tokens, " tokens, the model's vocabulary is ", V);

  // ne is innermost first: a PyTorch (out, in) weight is ggml [in, out], same bytes.
  auto add = [&](const std::string& tensor, const float* data, std::vector<int64_t> ne) {
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    w.add_tensor_view(tensor, DType::F32, std::move(ne), data, size_t(n) * sizeof(float));
  };
  add("token_embd.weight", p[kWte], {C, V});
  add("position_embd.weight", p[kWpe], {C, maxT});
  for (int64_t l = 0; l < L; ++l) {
    const std::string b = cat("blk.", l, ".");
    add(b + "attn_norm.weight", p[kLn1w] + l * C, {C});
    add(b + "attn_norm.bias", p[kLn1b] + l * C, {C});
    add(b + "attn_qkv.weight", p[kQkvw] + l * 3 * C * C, {C, 3 * C});
    add(b + "attn_qkv.bias", p[kQkvb] + l * 3 * C, {3 * C});
    add(b + "attn_output.weight", p[kAttprojw] + l * C * C, {C, C});
    add(b + "attn_output.bias", p[kAttprojb] + l * C, {C});
    add(b + "ffn_norm.weight", p[kLn2w] + l * C, {C});
    add(b + "ffn_norm.bias", p[kLn2b] + l * C, {C});
    add(b + "ffn_up.weight", p[kFcw] + l * 4 * C * C, {C, 4 * C});
    add(b + "ffn_up.bias", p[kFcb] + l * 4 * C, {4 * C});
    add(b + "ffn_down.weight", p[kFcprojw] + l * C * 4 * C, {4 * C, C});
    add(b + "ffn_down.bias", p[kFcprojb] + l * C, {C});
  }
  add("output_norm.weight", p[kLnfw], {C});
  add("output_norm.bias", p[kLnfb], {C});
  add("output.weight", p[kWte], {C, V});
  w.write(path);
}

}  // namespace tock
