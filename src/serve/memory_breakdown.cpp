#include "serve/memory_breakdown.hpp"

#include <cstdio>

namespace tock::serve {

MemoryBreakdown memory_breakdown(const Model& model, int64_t ctx, int64_t slots, int64_t batch_tokens) {
  const ModelConfig& c = model.config();
  MemoryBreakdown m;
  for (const auto& t : model.file().tensors()) m.weights += int64_t(t.nbytes);
  m.kv_per_slot = ctx * 2 * c.n_layer * c.kv_dim() * int64_t(sizeof(float));
  m.slots = slots;
  // Model::Scratch for T rows: x h q att proj (T·C each), k v (T·KV), qkv (T·(C+2KV)),
  // gate up (T·F), scores (ctx); plus one logits row (V) per sequence.
  const int64_t T = batch_tokens, C = c.n_embd, KV = c.kv_dim(), F = c.n_ff;
  const int64_t floats = T * (5 * C + 2 * KV + C + 2 * KV + 2 * F) + ctx + slots * c.n_vocab;
  m.scratch = floats * int64_t(sizeof(float));
  return m;
}

nlohmann::json memory_json(const MemoryBreakdown& m) {
  return {{"weights_bytes", m.weights},     {"kv_cache_per_slot_bytes", m.kv_per_slot},
          {"slots", m.slots},               {"kv_cache_bytes", m.kv_per_slot * m.slots},
          {"scratch_bytes", m.scratch},     {"total_bytes", m.total()}};
}

std::string memory_text(const MemoryBreakdown& m) {
  const double MiB = 1024.0 * 1024.0;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "memory: weights %.1f MiB + KV cache %.1f MiB per slot x %lld slots (at full context, grows as used)"
                " + scratch %.1f MiB = %.1f MiB",
                double(m.weights) / MiB, double(m.kv_per_slot) / MiB, (long long)m.slots,
                double(m.scratch) / MiB, double(m.total()) / MiB);
  return buf;
}

}  // namespace tock::serve
