#include "cli/generation_flags.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"

namespace tock::cli {

const char* const kSamplingHelp =
    "Sampling (llama.cpp's chain, in this order): repetition penalty over the last\n"
    "--repeat-last-n tokens (positive logits divided, negative multiplied), frequency and\n"
    "presence penalties (logit -= count*freq + [count>0]*presence), top-k, top-p (smallest set\n"
    "reaching p), min-p (p >= min_p * max p), temperature, softmax, one seeded draw.\n"
    "--temp 0 is greedy (argmax, ties to the lowest id). Same --seed, same text.\n"
    "Generation stops at an end-of-generation token (unless --ignore-eos), a --stop string\n"
    "(not printed), -n tokens, or a full context. See docs/sampling.md.";

void GenerationFlags::add_to(CLI::App& cmd) {
  cmd.add_option("-m,--model", model, "GGUF model file or known name (default: smollm2 in the cache)");
  cmd.add_option("-c,--ctx", ctx, "context size in tokens (default: the model's)")->check(CLI::NonNegativeNumber);
  cmd.add_flag("--exact", exact, "reference compute path: weights dequantized to f32, scalar loops");
  cmd.add_option("-t,--threads", threads, "threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_flag("-v,--verbose", verbose, "print model, memory and timing details");
  cmd.add_option("-n,--max-tokens", generate.max_tokens, "tokens to generate, -1 = until the context is full")
      ->capture_default_str();
  cmd.add_option("--temp", sampling.temperature, "temperature; 0 = greedy")->capture_default_str();
  cmd.add_option("--top-k", sampling.top_k, "keep the k most likely tokens; 0 = off")->capture_default_str();
  cmd.add_option("--top-p", sampling.top_p, "nucleus: smallest set with probability >= p; 1 = off")
      ->capture_default_str();
  cmd.add_option("--min-p", sampling.min_p, "drop tokens with p < min_p * max p; 0 = off")->capture_default_str();
  cmd.add_option("--repeat-penalty", sampling.repeat_penalty, "repetition penalty; 1 = off")->capture_default_str();
  cmd.add_option("--repeat-last-n", sampling.repeat_last_n, "history the penalties see; -1 = all")
      ->capture_default_str();
  cmd.add_option("--frequency-penalty", sampling.frequency_penalty, "logit -= count * f")->capture_default_str();
  cmd.add_option("--presence-penalty", sampling.presence_penalty, "logit -= p if seen")->capture_default_str();
  cmd.add_option("-s,--seed", sampling.seed, "random seed")->capture_default_str();
  cmd.add_option("--stop", generate.stop, "stop string (repeatable); not printed");
  cmd.add_flag("--ignore-eos", generate.ignore_eos, "do not stop at end-of-generation tokens");
  cmd.add_option("--chat-template", chat_template,
                 "chat template: chatml, llama3, llama2, gemma, mistral, phi3, zephyr (default: detect from the model)");
  cmd.add_option("--system", system, "system message for chat");
  cmd.footer(kSamplingHelp);
}

std::unique_ptr<Model> GenerationFlags::load_model() const {
  if (threads > 0) set_thread_count(threads);
  const std::string path = resolve_model_path(model);
  ModelOptions opt;
  opt.path = exact ? ComputePath::exact : ComputePath::fast;
  auto m = Model::load(path, opt);
  if (verbose) {
    const ModelConfig& c = m->config();
    const int64_t n_ctx = ctx > 0 ? ctx : c.n_ctx_train;
    const double per_pos = 2.0 * double(c.n_layer * c.kv_dim()) * sizeof(float);
    std::fprintf(stderr,
                 "model: %s (%s, %lld layers, dim %lld, %lld heads / %lld kv), %s path\n"
                 "kv cache: f32, %.1f KiB per token, up to %.1f MiB for %lld tokens (grows as used)\n",
                 path.c_str(), c.arch.c_str(), (long long)c.n_layer, (long long)c.n_embd,
                 (long long)c.n_head, (long long)c.n_head_kv, exact ? "exact" : "fast", per_pos / 1024,
                 per_pos * double(n_ctx) / (1 << 20), (long long)n_ctx);
  }
  return m;
}

}  // namespace tock::cli
