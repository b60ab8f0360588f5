// `tock train`: trains a model on token shards from `tock data prepare` (train/trainer.hpp).
// Flags only; the loop, checkpoints and export live in src/train.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/cmd_train_classify.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"
#include "train/trainer.hpp"

namespace tock::cli {
namespace {

const char* const kTrainHelp =
    "Train a GPT-2-style model from scratch on prepared token shards.\n"
    "Each step: the learning rate (warmup, then cosine/linear/constant decay to --min-lr), --grad-accum\n"
    "micro-batches of --batch windows of --seq tokens (forward, backward), clipping by global norm\n"
    "(--clip), one AdamW step. Files in --out: checkpoint.bin (model, AdamW m and v, data loader, RNG,\n"
    "options; atomic), log.jsonl (one JSON object per event), model.gguf (at the end; `tock run -m`).\n"
    "Ctrl-C finishes the step, writes a checkpoint and exits 0; --resume DIR continues exactly\n"
    "(bitwise with the same thread count). Sizes may come from --config FILE.json (keys arch,\n"
    "layers, dim, heads, kv_heads, ff, seq, vocab, batch); flags win.";

}  // namespace

Action add_train_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("train", kTrainHelp);
  auto o = std::make_shared<TrainOptions>();
  auto threads = std::make_shared<int>(0);
  ModelShape& s = o->shape;
  cmd->add_option("--data", o->data_dir, "Directory from `tock data prepare`");
  cmd->add_option("--tokenizer", o->tokenizer, "Tokenizer GGUF the data was prepared with");
  cmd->add_option("--arch", s.arch, "architecture: gpt2 (GPT-2 style) or llama (RMSNorm, RoPE, SwiGLU, GQA)");
  cmd->add_option("--layers", s.layers, "Transformer blocks (default 4)");
  cmd->add_option("--dim", s.dim, "Embedding width (default 128)");
  cmd->add_option("--heads", s.heads, "Attention heads (default 4)");
  cmd->add_option("--kv-heads", s.kv_heads, "Key/value heads (gpt2: = heads)");
  cmd->add_option("--ff", s.ff, "Feed-forward width (gpt2: 4 x dim)");
  cmd->add_option("--seq", s.seq, "Sequence length T, also the exported context (default 128)");
  cmd->add_option("--batch", o->batch, "Sequences per micro-batch B (default 8)");
  cmd->add_option("--config", o->config_file, "JSON file with the model sizes and batch")->check(CLI::ExistingFile);
  cmd->add_option("--steps", o->steps, "Optimizer steps");
  cmd->add_option("--lr", o->lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr", o->min_lr, "Learning rate at the last step (default lr/10)");
  cmd->add_option("--warmup", o->warmup, "Warmup steps")->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "cosine, linear or constant")->capture_default_str();
  cmd->add_option("--grad-accum", o->grad_accum, "Micro-batches per step")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "AdamW decoupled weight decay (matrices only)")
      ->capture_default_str();
  cmd->add_option("--clip", o->clip, "Clip the gradient's global norm to this (0 = off)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the initial weights, data order and samples")->capture_default_str();
  cmd->add_option("--eval-every", o->eval_every, "Validation loss every K steps (0 = off)")->capture_default_str();
  cmd->add_option("--eval-batches", o->eval_batches, "Batches per evaluation")->capture_default_str();
  cmd->add_option("--sample-every", o->sample_every, "A text sample every K steps (0 = off)")->capture_default_str();
  cmd->add_option("--sample-tokens", o->sample_tokens, "Tokens per sample")->capture_default_str();
  cmd->add_option("--sample-temp", o->sample_temp, "Sampling temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Checkpoint every K steps (and always at the end)")
      ->capture_default_str();
  cmd->add_option("--stop-at", o->stop_at, "Stop after this step as Ctrl-C would (checkpoint, no export)");
  cmd->add_option("--out", o->out_dir, "Run directory")->capture_default_str();
  cmd->add_option("--resume", o->resume_dir, "Continue the run in this directory (its options are kept)");
  cmd->add_option("--init", o->init_model, "Start from a pretrained GGUF (needs --arch llama)");
  cmd->add_option("-t,--threads", *threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", o->quiet, "No per-step progress lines");
  auto classify = std::make_shared<ClassifyTrainFlags>();
  add_classify_train_flags(cmd, *classify);
  return [o, threads, cmd, classify]() -> int {
    if (!cmd->parsed()) return 0;
    if (*threads > 0) set_thread_count(*threads);
    if (!o->init_model.empty()) o->init_model = resolve_model_path(o->init_model);
    if (classify->task == "classify") return run_train_classify(*o, *classify);
    run_training(*o);  // Interrupted (Ctrl-C, --stop-at) is a clean exit too
    return 0;
  };
}

}  // namespace tock::cli
