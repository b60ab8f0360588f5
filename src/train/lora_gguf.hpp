// LlamaLora adapters as a GGUF of their own: tensors blk.N.attn_q.lora_a (r, C),
// blk.N.attn_q.lora_b (C, r), blk.N.attn_v.lora_a (r, C), blk.N.attn_v.lora_b (KV, r), f32,
// shapes written innermost-first as GGUF does; keys adapter.type = "lora", adapter.lora.rank,
// adapter.lora.alpha, adapter.lora.n_layer. load checks them against the model's config.
#pragma once
#include <memory>
#include <string>

#include "train/lora_adapters.hpp"

namespace tock {

void save_lora(const LlamaLora& lora, const std::string& path);
std::unique_ptr<LlamaLora> load_lora(const std::string& path, const LlamaTrainConfig& config);

}  // namespace tock
