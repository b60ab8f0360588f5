// Hyper-parameters of a model, read from GGUF metadata through one table of architectures.
// Families differ by data (norm kind, activation, positions, biases), not by copied code.
#pragma once
#include <cstdint>
#include <string>

#include "kernels/rope.hpp"

namespace tock {

class GgufFile;

enum class NormKind { rms, layer };
enum class FfnKind { swiglu, gelu };            // gated SiLU (Llama) or plain GELU MLP (GPT-2)
enum class PositionKind { rope, learned };      // rotary (Llama) or learned absolute (GPT-2)

struct ModelConfig {
  std::string arch;          // general.architecture: llama, qwen2, gpt2, ...
  int64_t n_vocab = 0;       // V
  int64_t n_ctx_train = 0;   // context length the model was trained for
  int64_t n_embd = 0;        // C
  int64_t n_layer = 0;       // L
  int64_t n_head = 0;        // NH
  int64_t n_head_kv = 0;     // NKV (grouped-query attention when < NH)
  int64_t head_dim = 0;      // HS = C / NH
  int64_t n_ff = 0;          // F, feed-forward hidden size
  float norm_eps = 1e-5f;
  NormKind norm = NormKind::rms;
  FfnKind ffn = FfnKind::swiglu;
  PositionKind positions = PositionKind::rope;
  RopeStyle rope_style = RopeStyle::adjacent;
  int64_t rope_dim = 0;      // dims of each head that rotate
  float rope_base = 10000.0f;

  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads the config for the file's architecture. Unknown architecture or a missing/invalid key
// is an Error naming it.
ModelConfig read_model_config(const GgufFile& file);

}  // namespace tock
