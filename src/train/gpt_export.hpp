// Writes a trained GPT-2-style model as a GGUF that llama.cpp's and Tock's gpt2 loaders read:
// general.architecture = gpt2, the gpt2.* hyper-parameters, llama.cpp's tensor names
// (token_embd, position_embd, blk.N.attn_norm/attn_qkv/attn_output/ffn_norm/ffn_up/ffn_down
// with weights and biases, output_norm, output), all f32, and every tokenizer.* key of the
// tokenizer GGUF. The tied output layer is written out as output.weight (a copy of
// token_embd), since readers differ in whether they fall back to the embedding.
#pragma once
#include <string>

#include "train/gpt_config.hpp"

namespace tock {

class GgufFile;

// params: the model's parameter block (layout: gpt_config.hpp). Written atomically.
void export_gpt_gguf(const GptConfig& config, const float* params, const GgufFile& tokenizer,
                     const std::string& path, const std::string& name = "tock-gpt2");

}  // namespace tock
