#include "train/trainer_models.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "train/gpt_export.hpp"
#include "train/gpt_train_model.hpp"
#include "train/llama_export.hpp"
#include "train/llama_train.hpp"

namespace tock {
namespace {

GptConfig gpt_config(const ModelShape& s) {
  GptConfig c;
  c.max_seq_len = s.seq;
  c.vocab_size = s.vocab;
  c.n_layer = s.layers;
  c.n_head = s.heads;
  c.channels = s.dim;
  return c;
}

LlamaTrainConfig llama_config(const ModelShape& s) {
  LlamaTrainConfig c;
  c.max_seq_len = s.seq;
  c.vocab_size = s.vocab;
  c.n_layer = s.layers;
  c.n_head = s.heads;
  c.n_kv_head = s.kv_heads;
  c.channels = s.dim;
  c.ffn_hidden = s.ff;
  return c;
}

int64_t llama_params(const LlamaTrainConfig& c) {
  int64_t n = 0;
  for (const auto& shape : llama_param_shapes(c)) {
    int64_t k = shape.empty() ? 0 : 1;
    for (int64_t d : shape) k *= d;
    n += k;
  }
  return n;
}

// MemAvailable in bytes, or -1 when /proc/meminfo cannot tell.
int64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return -1;
}

std::string gib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GiB", double(bytes) / double(1ll << 30));
  return buf;
}

}  // namespace

void complete_shape(ModelShape& s) {
  if (s.arch.empty()) s.arch = "gpt2";
  if (s.arch != "gpt2" && s.arch != "llama") fail("--arch: unknown architecture '", s.arch, "' (gpt2 or llama)");
  const bool llama = s.arch == "llama";
  if (s.layers == 0) s.layers = 4;
  if (s.dim == 0) s.dim = 128;
  if (s.heads == 0) s.heads = 4;
  if (s.seq == 0) s.seq = 128;
  if (s.kv_heads == 0) s.kv_heads = s.heads;
  // SwiGLU's three matrices of width 8C/3 cost what GPT-2's two of 4C do (LLaMA paper, 2.2).
  if (s.ff == 0) s.ff = llama ? (8 * s.dim / 3 + 31) / 32 * 32 : 4 * s.dim;
  const std::pair<const char*, int64_t> sizes[] = {{"--layers", s.layers}, {"--dim", s.dim}, {"--heads", s.heads},
                                                   {"--seq", s.seq}, {"--kv-heads", s.kv_heads}, {"--ff", s.ff}};
  for (const auto& [flag, v] : sizes)
    if (v < 1) fail(flag, " must be positive, got ", v);
  if (s.dim % s.heads != 0) fail("--dim ", s.dim, " is not a multiple of --heads ", s.heads);
  if (llama) {
    if (s.heads % s.kv_heads != 0) fail("--heads ", s.heads, " is not a multiple of --kv-heads ", s.kv_heads);
    if ((s.dim / s.heads) % 2 != 0) fail("--dim / --heads = ", s.dim / s.heads, ": RoPE needs an even head size");
    return;
  }
  if (s.kv_heads != s.heads) fail("--kv-heads ", s.kv_heads, ": gpt2 has no grouped-query attention (must equal --heads ", s.heads, ")");
  if (s.ff != 4 * s.dim) fail("--ff ", s.ff, ": gpt2's MLP is 4 x dim = ", 4 * s.dim);
}

MemoryEstimate estimate_memory(const ModelShape& s, int64_t B, int64_t T) {
  MemoryEstimate e;
  if (s.arch == "llama") {
    e.params = llama_params(llama_config(s));
    e.activation_bytes = llama_activation_bytes(llama_config(s), B, T);
  } else {
    e.params = gpt_num_params(gpt_config(s));
    e.activation_bytes = gpt_activation_floats(gpt_config(s), B, T) * int64_t(sizeof(float));
  }
  e.state_bytes = e.params * 4 * int64_t(sizeof(float));
  return e;
}

void check_fits_in_memory(const MemoryEstimate& e, int64_t B, int64_t T) {
  const int64_t avail = mem_available();
  if (avail >= 0 && e.total() > avail)
    fail("model does not fit in memory: ", e.params, " parameters need ", gib(e.state_bytes),
         " (weights, gradients, AdamW m and v) + ", gib(e.activation_bytes), " activations at batch ", B,
         " x seq ", T, " = ", gib(e.total()), ", MemAvailable is ", gib(avail),
         "; use fewer --layers/--dim or a smaller --batch/--seq");
}

std::unique_ptr<TrainModel> make_train_model(const ModelShape& s, uint64_t seed) {
  if (s.arch == "llama") return std::make_unique<LlamaTrainModel>(llama_config(s), seed);
  return std::make_unique<GptTrainModel>(gpt_config(s), seed);
}

std::unique_ptr<TrainModel> load_train_model(const std::string& path, ModelShape& s) {
  auto m = LlamaTrainModel::from_gguf(path);
  const LlamaTrainConfig& c = m->config();
  s = {"llama", c.n_layer, c.channels, c.n_head, c.n_kv_head, c.ffn_hidden, s.seq, c.vocab_size};
  if (s.seq == 0) s.seq = std::min<int64_t>(c.max_seq_len, 128);
  if (s.seq > c.max_seq_len) fail("--seq ", s.seq, " exceeds the context length ", c.max_seq_len, " of ", path);
  return m;
}

void export_train_model(TrainModel& model, const ModelShape& s, const GgufFile& tokenizer,
                        const std::string& path) {
  if (auto* llama = dynamic_cast<LlamaTrainModel*>(&model)) return export_llama_gguf(*llama, tokenizer, path);
  auto* gpt = dynamic_cast<GptTrainModel*>(&model);
  if (!gpt) fail("export: no GGUF writer for architecture '", model.arch(), "'");
  export_gpt_gguf(gpt_config(s), gpt->params(), tokenizer, path);
}

}  // namespace tock
