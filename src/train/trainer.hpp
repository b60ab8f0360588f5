// `tock train`: the training loop. Per optimizer step: the learning rate of the schedule,
// A micro-batches of (B, T) windows from the train split (forward, backward; gradients
// averaged over A), clipping by global norm, one AdamW step. Every K steps: evaluation on
// the validation split, a text sample, a checkpoint; at the end a checkpoint and the GGUF.
//
// Files in the run directory (--out):
//   checkpoint.bin  the latest good state (checkpoint.hpp), replaced atomically
//   log.jsonl       one JSON object per event: start/resume, train (per step), eval, sample,
//                   checkpoint, stop, export. The checkpoint records the log's length, and a
//                   resume cuts the log back to it, so after a kill -9 the log holds every
//                   step exactly once.
//   model.gguf      the exported model with its tokenizer (at the end of the run)
// Resume (--resume DIR) restores the parameters, AdamW, the data loader, the sampling RNG and
// the options of the run (only --steps, --stop-at and threads may change), so the losses
// continue bitwise as if the run had not stopped (same thread count).
// SIGINT: the current step finishes, a checkpoint is written, run_training returns Interrupted.
// A non-finite loss or gradient norm stops the run with an Error naming the step; the last
// checkpoint stays as it was.
#pragma once
#include <cstdint>
#include <string>

#include "train/trainer_models.hpp"

namespace tock {

struct TrainOptions {
  std::string data_dir, tokenizer, config_file, out_dir = "run", resume_dir;
  std::string init_model;   // a pretrained GGUF to fine-tune (llama arch)
  ModelShape shape;         // 0 = from the config file or the default
  int64_t batch = 0;        // B (0: config file or 8)
  int64_t steps = 0;        // optimizer steps in the run (required unless resuming)
  float lr = 6e-4f;
  float min_lr = -1.0f;     // < 0: lr / 10
  int64_t warmup = 0;
  std::string schedule = "cosine";
  int64_t grad_accum = 1;
  float weight_decay = 0.1f;
  float clip = 1.0f;        // <= 0: no clipping (the norm is still reported)
  uint64_t seed = 1337;     // model init, data order, samples
  int64_t eval_every = 0, eval_batches = 4;
  int64_t sample_every = 0, sample_tokens = 64;
  float sample_temp = 0.8f; // 0 = greedy
  int64_t checkpoint_every = 0;
  int64_t stop_at = 0;      // > 0: stop after this step as Ctrl-C would (checkpoint, no export)
  bool quiet = false;       // no progress lines
};

enum class TrainOutcome { Finished, Interrupted };

TrainOutcome run_training(TrainOptions options);

}  // namespace tock
