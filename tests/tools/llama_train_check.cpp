// Test tool for the Llama training reference check (tests/python/test_train_llama.py): builds a
// small LlamaTrainModel from a seed, draws a batch of random tokens, runs forward + backward and
// a number of AdamW steps (clipping the gradient's global norm first), and writes what the
// PyTorch reference (reference_train_llama.py) needs to repeat the run and what it compares:
//   DIR/params0.f32  the initial parameter block (layout: result.json "tensors")
//   DIR/tokens.i32   the batch, (B, T+1): inputs are [:, :T], targets [:, 1:]
//   DIR/grads0.f32   the gradient of the first step (before clipping)
//   DIR/logits0.f32  the logits of the first forward, (B, T, V)
//   DIR/params_final.f32  the parameters after the last step
//   DIR/result.json  config, tensors (name, shape, offset, decay), per-step loss and grad norm
//   --export PATH --tokenizer GGUF: also the final model as GGUF (export_llama_gguf)
//   --init GGUF: start from a pretrained llama GGUF (from_gguf) instead of the size flags
// Usage: llama_train_check DIR [--layers L] [--channels C] [--heads NH] [--kv-heads NKV]
//          [--ffn F] [--vocab V] [--max-seq maxT] [--rope-base X] [--untied] [--batch B]
//          [--seq T] [--seed S] [--steps N] [--lr X] [--beta1 X] [--beta2 X] [--eps X]
//          [--wd X] [--clip X] [--export PATH --tokenizer GGUF]
//          [--init GGUF]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "train/adamw.hpp"
#include "train/llama_export.hpp"
#include "train/llama_train.hpp"
#include "train/random.hpp"

namespace {

template <typename T>
void write_raw(const std::string& path, const T* data, size_t n) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) tock::fail("cannot write ", path);
  const size_t w = std::fwrite(data, sizeof(T), n, f);
  std::fclose(f);
  if (w != n) tock::fail("short write to ", path);
}

int run(int argc, char** argv) {
  if (argc < 2) tock::fail("usage: llama_train_check DIR [--layers L] ... (see the file header)");
  const std::string dir = argv[1];
  tock::LlamaTrainConfig cfg;
  cfg.n_layer = 2;
  cfg.channels = 64;
  cfg.n_head = 4;
  cfg.n_kv_head = 2;
  cfg.ffn_hidden = 160;
  cfg.vocab_size = 97;
  cfg.max_seq_len = 16;
  int64_t B = 2, T = 16, steps = 10;
  uint64_t seed = 1;
  float lr = 1e-3f, clip = 1.0f;
  tock::AdamWConfig opt;
  std::string export_path, tokenizer_path, init_path;
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--untied") {
      cfg.tied_output = false;
      continue;
    }
    if (i + 1 >= argc) tock::fail("flag ", k, " needs a value");
    const char* v = argv[++i];
    if (k == "--layers") cfg.n_layer = std::atoll(v);
    else if (k == "--channels") cfg.channels = std::atoll(v);
    else if (k == "--heads") cfg.n_head = std::atoll(v);
    else if (k == "--kv-heads") cfg.n_kv_head = std::atoll(v);
    else if (k == "--ffn") cfg.ffn_hidden = std::atoll(v);
    else if (k == "--vocab") cfg.vocab_size = std::atoll(v);
    else if (k == "--max-seq") cfg.max_seq_len = std::atoll(v);
    else if (k == "--rope-base") cfg.rope_base = std::strtof(v, nullptr);
    else if (k == "--batch") B = std::atoll(v);
    else if (k == "--seq") T = std::atoll(v);
    else if (k == "--seed") seed = std::strtoull(v, nullptr, 10);
    else if (k == "--steps") steps = std::atoll(v);
    else if (k == "--lr") lr = std::strtof(v, nullptr);
    else if (k == "--beta1") opt.beta1 = std::strtof(v, nullptr);
    else if (k == "--beta2") opt.beta2 = std::strtof(v, nullptr);
    else if (k == "--eps") opt.eps = std::strtof(v, nullptr);
    else if (k == "--wd") opt.weight_decay = std::strtof(v, nullptr);
    else if (k == "--clip") clip = std::strtof(v, nullptr);
    else if (k == "--export") export_path = v;
    else if (k == "--tokenizer") tokenizer_path = v;
    else if (k == "--init") init_path = v;
    else tock::fail("unknown flag ", k);
  }

  std::unique_ptr<tock::LlamaTrainModel> owned =
      init_path.empty() ? std::make_unique<tock::LlamaTrainModel>(cfg, seed)
                        : tock::LlamaTrainModel::from_gguf(init_path);
  tock::LlamaTrainModel& model = *owned;
  cfg = model.config();
  std::vector<int32_t> tokens(size_t(B * (T + 1)));
  tock::SplitMix64 rng(seed ^ 0x5eedull);
  for (auto& t : tokens) t = int32_t(rng.below(uint64_t(cfg.vocab_size)));
  std::vector<int32_t> inputs(size_t(B * T)), targets(size_t(B * T));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      inputs[size_t(b * T + t)] = tokens[size_t(b * (T + 1) + t)];
      targets[size_t(b * T + t)] = tokens[size_t(b * (T + 1) + t + 1)];
    }
  const size_t n = size_t(model.num_params());
  write_raw(dir + "/params0.f32", model.params(), n);
  write_raw(dir + "/tokens.i32", tokens.data(), tokens.size());

  tock::AdamW adamw(opt, model.num_params());
  std::vector<float> losses, norms;
  double seconds = 0.0, cpu_seconds = 0.0;  // wall, and process CPU time (all threads)
  for (int64_t s = 0; s < steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    losses.push_back(model.forward(inputs.data(), targets.data(), B, T));
    if (s == 0) write_raw(dir + "/logits0.f32", model.logits(), size_t(B * T * cfg.vocab_size));
    model.zero_grad();
    model.backward();
    if (s == 0) write_raw(dir + "/grads0.f32", model.grads(), n);
    norms.push_back(tock::clip_grad_norm(model.grads(), model.num_params(), clip));
    adamw.step(model.segments(), lr);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu_seconds += double(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  write_raw(dir + "/params_final.f32", model.params(), n);
  if (!export_path.empty()) {
    if (tokenizer_path.empty()) tock::fail("--export needs --tokenizer GGUF");
    tock::export_llama_gguf(model, tock::GgufFile::open(tokenizer_path), export_path);
  }

  FILE* f = std::fopen((dir + "/result.json").c_str(), "w");
  if (!f) tock::fail("cannot write ", dir, "/result.json");
  std::fprintf(f,
               "{\"n_layer\": %lld, \"channels\": %lld, \"n_head\": %lld, \"n_kv_head\": %lld, "
               "\"ffn_hidden\": %lld, \"vocab_size\": %lld, \"max_seq_len\": %lld, "
               "\"norm_eps\": %.9g, \"rope_base\": %.9g, \"tied_output\": %s, \"B\": %lld, "
               "\"T\": %lld, \"lr\": %.9g, \"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, "
               "\"weight_decay\": %.9g, \"clip\": %.9g, \"num_params\": %lld, \"seconds\": %.6f, \"cpu_seconds\": %.6f",
               (long long)cfg.n_layer, (long long)cfg.channels, (long long)cfg.n_head,
               (long long)cfg.n_kv_head, (long long)cfg.ffn_hidden, (long long)cfg.vocab_size,
               (long long)cfg.max_seq_len, double(cfg.norm_eps), double(cfg.rope_base),
               cfg.tied_output ? "true" : "false", (long long)B, (long long)T, double(lr),
               double(opt.beta1), double(opt.beta2), double(opt.eps), double(opt.weight_decay),
               double(clip), (long long)model.num_params(), seconds, cpu_seconds);
  std::fprintf(f, ", \"tensors\": [");
  const auto tensors = model.tensors();
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::fprintf(f, "%s{\"name\": \"%s\", \"offset\": %lld, \"decay\": %s, \"shape\": [",
                 i ? ", " : "", tensors[i].name.c_str(), (long long)tensors[i].offset,
                 tensors[i].decay ? "true" : "false");
    for (size_t d = 0; d < tensors[i].shape.size(); ++d)
      std::fprintf(f, "%s%lld", d ? ", " : "", (long long)tensors[i].shape[d]);
    std::fprintf(f, "]}");
  }
  std::fprintf(f, "], \"losses\": [");
  for (size_t i = 0; i < losses.size(); ++i) std::fprintf(f, "%s%.9g", i ? ", " : "", double(losses[i]));
  std::fprintf(f, "], \"grad_norms\": [");
  for (size_t i = 0; i < norms.size(); ++i) std::fprintf(f, "%s%.9g", i ? ", " : "", double(norms[i]));
  std::fprintf(f, "]}\n");
  std::fclose(f);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llama_train_check: %s\n", e.what());
    return 1;
  }
}
