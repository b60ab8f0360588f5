// Writes a Llama-style training model as a GGUF that llama.cpp's and Tock's llama loaders read:
// general.architecture = llama, the llama.* hyper-parameters under llama.cpp's key names,
// llama.cpp's tensor names (token_embd, blk.N.attn_norm/attn_q/attn_k/attn_v/attn_output/
// ffn_norm/ffn_gate/ffn_up/ffn_down, output_norm, output — omitted when tied, as llama.cpp then
// uses token_embd), all f32, and every tokenizer.* key of the tokenizer GGUF (a `tock tokenizer
// train` output or a model's). q/k rows are already in GGUF's adjacent-pairs RoPE order.
#pragma once
#include <string>

namespace tock {

class GgufFile;
class LlamaTrainModel;

// Written atomically. The tokenizer's token count must equal the model's vocabulary.
void export_llama_gguf(const LlamaTrainModel& model, const GgufFile& tokenizer,
                       const std::string& path, const std::string& name = "tock-llama");

}  // namespace tock
