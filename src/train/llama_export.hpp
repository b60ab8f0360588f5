// Writes a Llama-style training model as a GGUF that llama.cpp's and Tock's llama loaders read:
// general.architecture = llama, the llama.* hyper-parameters under llama.cpp's key names,
// llama.cpp's tensor names (token_embd, blk.N.attn_norm/attn_q/attn_k/attn_v/attn_output/
// ffn_norm/ffn_gate/ffn_up/ffn_down, output_norm, output — omitted when tied, as llama.cpp then
// uses token_embd), f32 or f16 matrices (norm weights always f32, as llama.cpp's converter
// writes them), and every tokenizer.* key of the tokenizer GGUF (a `tock tokenizer
// train` output or a model's). q/k rows are already in GGUF's adjacent-pairs RoPE order.
#pragma once
#include <string>

#include "core/dtype.hpp"

namespace tock {

class GgufFile;
class LlamaTrainModel;

// Written atomically. The tokenizer's token count must equal the model's vocabulary.
// matrix_type: DType::F32 or DType::F16 (rounded to nearest even), for the 2-D weights.
void export_llama_gguf(const LlamaTrainModel& model, const GgufFile& tokenizer,
                       const std::string& path, const std::string& name = "tock-llama",
                       DType matrix_type = DType::F32);

}  // namespace tock
