// A GPT-2-style model for training: its hyper-parameters and the layout of its parameter block.
// Token + learned position embeddings, L pre-LayerNorm blocks (fused qkv with bias, causal
// multi-head attention, GELU-tanh MLP of width 4C), a final LayerNorm, and the output layer
// tied to the token embedding (as GPT-2 and llm.c). Letters: L layers, C channels, NH heads,
// HS = C/NH, V vocabulary, maxT the longest sequence (rows of the position embedding).
#pragma once
#include <array>
#include <cstdint>

namespace tock {

struct GptConfig {
  int64_t max_seq_len = 1024;  // maxT
  int64_t vocab_size = 50257;  // V
  int64_t n_layer = 12;        // L
  int64_t n_head = 12;         // NH
  int64_t channels = 768;      // C
  float norm_eps = 1e-5f;
};

// Checks that the sizes make a model (positive, C divisible by NH); Error otherwise.
void validate(const GptConfig& config);

// The parameter tensors, in their order in the one parameter block (and in checkpoints):
//   wte (V, C)         wpe (maxT, C)
//   ln1w (L, C)        ln1b (L, C)
//   qkvw (L, 3C, C)    qkvb (L, 3C)
//   attprojw (L, C, C) attprojb (L, C)
//   ln2w (L, C)        ln2b (L, C)
//   fcw (L, 4C, C)     fcb (L, 4C)
//   fcprojw (L, C, 4C) fcprojb (L, C)
//   lnfw (C)           lnfb (C)
// Linear weights are (out, in), as PyTorch's nn.Linear stores them.
constexpr int kGptParamTensors = 16;
enum GptParam : int {
  kWte, kWpe, kLn1w, kLn1b, kQkvw, kQkvb, kAttprojw, kAttprojb,
  kLn2w, kLn2b, kFcw, kFcb, kFcprojw, kFcprojb, kLnfw, kLnfb,
};
extern const std::array<const char*, kGptParamTensors> kGptParamNames;

// Element counts of each tensor (the table above).
std::array<int64_t, kGptParamTensors> gpt_param_sizes(const GptConfig& config);
// Whether AdamW decays the tensor: the matrices (2 or more dimensions), as nanoGPT does —
// embeddings and linear weights; not biases or LayerNorm parameters.
bool gpt_param_decays(int tensor);

// Pointers to the tensors of one block (parameters, or their gradients: same layout).
struct GptParams {
  std::array<float*, kGptParamTensors> t{};
  float* operator[](int i) const { return t[size_t(i)]; }
};
// Points p at the tensors of the block starting at base.
GptParams gpt_param_views(const GptConfig& config, float* base);

}  // namespace tock
