// What the training loop needs from a model, whatever its architecture (GPT-2 style: gpt.hpp,
// Llama style: llama_train.hpp). Parameters and gradients are each one contiguous f32 block, so
// the optimizer, clipping and checkpoints treat every architecture the same way.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/adamw.hpp"

namespace tock {

// One named parameter tensor inside the blocks: shape in PyTorch order ((out, in) for linear
// weights), offset in elements from params()/grads(), decay = AdamW weight decay applies.
struct ParamTensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  int64_t numel = 0;
  bool decay = false;
};

class TrainModel {
 public:
  virtual ~TrainModel() = default;

  virtual std::string arch() const = 0;  // "gpt2" or "llama" (GGUF general.architecture)
  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_seq_len() const = 0;
  virtual int64_t num_params() const = 0;
  virtual float* params() = 0;
  virtual float* grads() = 0;
  virtual std::vector<ParamTensor> tensors() const = 0;
  // AdamW segments from tensors(), in block order.
  std::vector<ParamSegment> segments() {
    std::vector<ParamSegment> out;
    for (const auto& t : tensors())
      out.push_back({params() + t.offset, grads() + t.offset, t.numel, t.decay});
    return out;
  }

  // inputs, targets: (B, T) token ids; returns the mean cross-entropy over B·T. targets may be
  // null: then only logits() is computed (sampling, evaluation without a loss).
  virtual float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) = 0;
  virtual const float* logits() const = 0;  // (B, T, V) of the last forward
  virtual void zero_grad() = 0;
  virtual void backward() = 0;  // adds d(mean loss)/dθ to grads(); needs forward with targets

  // Training FLOPs per token (forward + backward, 6·N + attention), for MFU in the progress line.
  virtual double flops_per_token(int64_t T) const = 0;
  // Bytes the forward/backward at (B, T) will allocate for activations: checked before allocating.
  virtual int64_t activation_bytes(int64_t B, int64_t T) const = 0;
};

}  // namespace tock
