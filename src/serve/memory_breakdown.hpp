// Where a server's memory goes, for GET /v1/models and the startup log: the weights (as stored,
// memory-mapped), the KV cache one slot can grow to (f32 K and V for every layer and position of
// its context), and the forward pass's activation scratch for one batch.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model.hpp"

namespace tock::serve {

struct MemoryBreakdown {
  int64_t weights = 0;
  int64_t kv_per_slot = 0;  // at a full context
  int64_t slots = 0;
  int64_t scratch = 0;      // activations for batch_tokens rows + logits rows
  int64_t total() const { return weights + kv_per_slot * slots + scratch; }
};

MemoryBreakdown memory_breakdown(const Model& model, int64_t ctx, int64_t slots, int64_t batch_tokens);
nlohmann::json memory_json(const MemoryBreakdown& m);
std::string memory_text(const MemoryBreakdown& m);  // one line for the log, in MiB

}  // namespace tock::serve
