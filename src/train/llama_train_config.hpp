// A Llama-style model for training: its hyper-parameters and the layout of its parameter block.
// Token embedding, L pre-RMSNorm blocks (q/k/v projections without bias, grouped-query causal
// attention with RoPE on adjacent pairs — GGUF `llama` order, as inference rotates them —,
// output projection; SwiGLU MLP), a final RMSNorm and the output layer, tied to the embedding
// or separate. Letters: L layers, C channels, NH query heads, NKV key/value heads, HS = C/NH,
// KV = NKV·HS, F feed-forward width, V vocabulary, maxT the longest sequence.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace tock {

struct LlamaTrainConfig {
  int64_t max_seq_len = 1024;  // maxT (RoPE has no table: only a limit)
  int64_t vocab_size = 32000;  // V
  int64_t n_layer = 12;        // L
  int64_t n_head = 12;         // NH
  int64_t n_kv_head = 12;      // NKV, divides NH
  int64_t channels = 768;      // C
  int64_t ffn_hidden = 2048;   // F
  float norm_eps = 1e-5f;
  float rope_base = 10000.0f;
  bool tied_output = true;  // output layer = token embedding (no `output` tensor)

  int64_t head_size() const { return channels / n_head; }
  int64_t kv_dim() const { return n_kv_head * head_size(); }
};

// Checks that the sizes make a model (positive, C divisible by NH, NH by NKV, HS even for
// RoPE); Error naming the value otherwise.
void validate(const LlamaTrainConfig& config);

// The parameter tensors, in their order in the one parameter block (and in checkpoints):
//   tok_embd (V, C)
//   attn_norm (L, C)   wq (L, C, C)   wk (L, KV, C)   wv (L, KV, C)   wo (L, C, C)
//   ffn_norm (L, C)    w_gate (L, F, C)   w_up (L, F, C)   w_down (L, C, F)
//   output_norm (C)    output (V, C) — absent when tied
// Linear weights are (out, in) as PyTorch's nn.Linear; wq/wk rows are in GGUF `llama` order
// (RoPE pairs adjacent dims), so they are written to GGUF unchanged.
enum LlamaParam : int {
  kTokEmbd, kAttnNorm, kWq, kWk, kWv, kWo, kFfnNorm, kWGate, kWUp, kWDown, kOutputNorm, kOutput,
};
constexpr int kLlamaParamTensors = 12;
extern const std::array<const char*, kLlamaParamTensors> kLlamaParamNames;

// Shapes of each tensor (the table above); output's is empty when tied.
std::array<std::vector<int64_t>, kLlamaParamTensors> llama_param_shapes(const LlamaTrainConfig& c);
// AdamW decays the matrices (embedding, linear weights), not the norm weights.
bool llama_param_decays(int tensor);

// Pointers to the tensors of one block (parameters, or their gradients: same layout); output
// points at tok_embd when tied.
struct LlamaParams {
  std::array<float*, kLlamaParamTensors> t{};
  float* operator[](int i) const { return t[size_t(i)]; }
};

}  // namespace tock
