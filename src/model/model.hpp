// A loaded transformer language model and its forward pass: one API for every job.
// A batch of tokens (with positions and sequence ids) goes in; logits for the tokens that ask
// for them come out, and the tokens' keys and values are appended to their sequences' caches.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/gguf.hpp"
#include "model/batch.hpp"
#include "model/config.hpp"
#include "model/kv_cache.hpp"
#include "model/weights.hpp"

namespace tock {

namespace clock {
class Lap;
}

// The KV cache's element type. automatic: f16 on the fast path for quantized weights (llama.cpp's
// default: half the bytes attention reads per token); f32 on the exact path, whose parity with the
// reference must not include cache rounding, and for float weights, whose fast path stays within
// f32 rounding of the reference (f16's 2⁻¹¹ steps would not).
enum class KvPrecision { automatic, f32, f16 };

struct ModelOptions {
  ComputePath path = ComputePath::fast;
  KvPrecision kv = KvPrecision::automatic;
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path, ModelOptions options = {});

  const ModelConfig& config() const { return config_; }
  const GgufFile& file() const { return file_; }
  ComputePath compute_path() const { return options_.path; }

  // A cache sized for this model; max_positions defaults to the trained context length.
  KVCache make_cache(int64_t max_positions = 0) const;

  // Runs the batch. Each sequence's tokens must continue it: positions cache.length(seq),
  // cache.length(seq)+1, ... in batch order. logits gets (n_out, V) rows, n_out = tokens that
  // asked for logits, in batch order.
  void forward(const Batch& batch, KVCache& cache, std::vector<float>& logits);
  // As forward(), but hidden gets the final normed hidden states (n_out, C) of those tokens
  // instead of their logits (a classifier's features): the vocabulary projection is skipped.
  void forward_hidden(const Batch& batch, KVCache& cache, std::vector<float>& hidden);

 private:
  Model(GgufFile file, ModelOptions options);
  // Everything up to the final norm; its output (n_out, C) is left in s_.q. Returns n_out.
  int64_t forward_trunk(const Batch& batch, KVCache& cache, clock::Lap& lap);
  void block(int64_t l, const Batch& batch, KVCache& cache);
  void attend(int64_t l, const Batch& batch, KVCache& cache);
  const Batch& keep_read_rows(const Batch& batch);
  void linear(const TensorView& W, const TensorView& b, const float* x, float* y, int64_t T);
  void norm(const TensorView& w, const TensorView& b, const float* x, float* y, int64_t T);

  GgufFile file_;
  ModelOptions options_;
  ModelConfig config_;
  ModelWeights weights_;

  // Activations of the current batch, reused across calls (no allocation per tick once warm).
  struct Scratch {
    std::vector<float> x, h, q, k, v, qkv, att, proj, gate, up, scores, out_h;
    void resize(const ModelConfig& c, int64_t T, int64_t n_kv_max);
  } s_;
  Batch last_rows_;  // the last layer's rows after its key/value writes (keep_read_rows)
  // attend()'s runs: one sequence's consecutive tokens [t0, t1) of the batch, its cache, and
  // where the clock wants the batch's last token's attention weights (or null).
  struct AttnRun {
    int64_t t0, t1;
    KvRows kv;
    float* probs;
  };
  std::vector<AttnRun> runs_;
};

}  // namespace tock
