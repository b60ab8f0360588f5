#include "model/config.hpp"

#include <array>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

// What distinguishes the supported families (llama.cpp's llm_arch names).
struct ArchTraits {
  const char* name;
  NormKind norm;
  FfnKind ffn;
  PositionKind positions;
  RopeStyle rope_style;
};

constexpr std::array kArchs = {
    ArchTraits{"llama", NormKind::rms, FfnKind::swiglu, PositionKind::rope, RopeStyle::adjacent},
    ArchTraits{"mistral", NormKind::rms, FfnKind::swiglu, PositionKind::rope, RopeStyle::adjacent},
    ArchTraits{"qwen2", NormKind::rms, FfnKind::swiglu, PositionKind::rope, RopeStyle::neox},
    ArchTraits{"gpt2", NormKind::layer, FfnKind::gelu, PositionKind::learned, RopeStyle::adjacent},
};

}  // namespace

ModelConfig read_model_config(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  const ArchTraits* traits = nullptr;
  for (const auto& a : kArchs)
    if (arch == a.name) traits = &a;
  if (!traits) {
    std::string names;
    for (const auto& a : kArchs) names += cat(names.empty() ? "" : ", ", a.name);
    fail(f.path(), ": unsupported architecture '", arch, "' (supported: ", names, ")");
  }
  const std::string p = arch + ".";
  ModelConfig c;
  c.arch = arch;
  c.norm = traits->norm;
  c.ffn = traits->ffn;
  c.positions = traits->positions;
  c.rope_style = traits->rope_style;
  c.n_ctx_train = f.get_int(p + "context_length");
  c.n_embd = f.get_int(p + "embedding_length");
  c.n_layer = f.get_int(p + "block_count");
  c.n_ff = f.get_int(p + "feed_forward_length");
  c.n_head = f.get_int(p + "attention.head_count");
  c.n_head_kv = f.get_int(p + "attention.head_count_kv", c.n_head);
  c.norm_eps = float(c.norm == NormKind::rms ? f.get_float(p + "attention.layer_norm_rms_epsilon")
                                             : f.get_float(p + "attention.layer_norm_epsilon"));
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) fail(f.path(), ": metadata '", p, key, "' must be positive, got ", v);
  };
  positive("context_length", c.n_ctx_train);
  positive("embedding_length", c.n_embd);
  positive("block_count", c.n_layer);
  positive("feed_forward_length", c.n_ff);
  positive("attention.head_count", c.n_head);
  positive("attention.head_count_kv", c.n_head_kv);
  if (c.n_embd % c.n_head != 0)
    fail(f.path(), ": embedding_length ", c.n_embd, " is not a multiple of head_count ", c.n_head);
  if (c.n_head % c.n_head_kv != 0)
    fail(f.path(), ": head_count ", c.n_head, " is not a multiple of head_count_kv ", c.n_head_kv);
  c.head_dim = c.n_embd / c.n_head;
  if (c.positions == PositionKind::rope) {
    c.rope_dim = f.get_int(p + "rope.dimension_count", c.head_dim);
    c.rope_base = float(f.get_float(p + "rope.freq_base", 10000.0));
    if (c.rope_dim <= 0 || c.rope_dim > c.head_dim || c.rope_dim % 2 != 0)
      fail(f.path(), ": rope.dimension_count ", c.rope_dim, " must be even and at most head size ",
           c.head_dim);
  }
  // The vocabulary size comes from the token list when the arch key is absent.
  if (f.has(p + "vocab_size")) {
    c.n_vocab = f.get_int(p + "vocab_size");
  } else if (const auto* toks = f.find("tokenizer.ggml.tokens")) {
    c.n_vocab = int64_t(toks->array_size());
  }
  return c;
}

}  // namespace tock
