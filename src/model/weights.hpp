// A model's weights bound to their GGUF tensors by llama.cpp's names (blk.N.attn_q.weight ...).
// In the fast path the views point into the memory-mapped file in its stored (quantized) format;
// in the exact path every matrix is dequantized to f32 once, at load, and owned here.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/tensor.hpp"
#include "model/config.hpp"

namespace tock {

class GgufFile;

// An absent optional tensor (e.g. a bias) has data == nullptr.
struct LayerWeights {
  TensorView attn_norm, attn_norm_b;
  TensorView wq, wk, wv, wo;        // separate projections (llama, qwen2)
  TensorView bq, bk, bv, bo;        // attention biases (qwen2, gpt2)
  TensorView wqkv, bqkv;            // fused projection (gpt2)
  TensorView ffn_norm, ffn_norm_b;
  TensorView ffn_gate, ffn_up, ffn_down;
  TensorView ffn_up_b, ffn_down_b;  // MLP biases (gpt2)
};

// Frees what std::aligned_alloc gave.
struct FreeBytes {
  void operator()(uint8_t* p) const { std::free(p); }
};

struct ModelWeights {
  TensorView token_embd;     // (V, C): ne = {C, V}
  TensorView position_embd;  // (n_ctx, C), learned positions only
  TensorView output_norm, output_norm_b;
  TensorView output;         // (V, C); the token embedding when tied
  std::vector<LayerWeights> layers;
  std::vector<std::unique_ptr<float[]>> owned;  // dequantized storage (exact path)
  // The matrices' rows8 form (TensorView::packed; fast path at the AVX2 level, Q4_0/Q4_1/Q8_0).
  std::vector<std::unique_ptr<uint8_t, FreeBytes>> packed;
};

enum class ComputePath {
  exact,  // weights dequantized to f32, plain scalar loops: the reference
  fast,   // weights used in their stored format by the optimised kernels
};

// Binds every tensor the config's family needs; a missing or mis-shaped tensor is an Error
// naming it and the file. In the fast path at the AVX2 level (active_isa()), the Q4_0, Q4_1 and
// Q8_0 matrices are also repacked to the rows8 layout the AVX2 matmul reads
// (kernels/packed_rows8.hpp), and the pages of their stored form in the file's mapping are
// released (read again from the file if anything asks for them: another ISA level, or the
// embedding lookups of a token_embd the output is tied to, a few pages a token).
ModelWeights bind_weights(const GgufFile& file, const ModelConfig& config, ComputePath path);

}  // namespace tock
