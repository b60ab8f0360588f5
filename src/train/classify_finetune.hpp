// Full fine-tuning of a sequence classifier: backbone and head trained together. Each step: B
// texts (shuffled epochs), backbone forward (right-padded to the longest), pooling, head, mean
// cross-entropy; backward through head, pooling (classify_head.hpp) and backbone
// (LlamaTrainModel::backward_from_hidden); AdamW on both, the head at its own learning rate.
#pragma once
#include <cstdint>
#include <vector>

#include "train/classify_data.hpp"
#include "train/classify_model.hpp"

namespace tock {

class LlamaLora;

struct ClassifyFinetuneOptions {
  int64_t batch = 8, steps = 50;
  float lr = 1e-4f, head_lr = 1e-2f, weight_decay = 0.0f;
  uint64_t seed = 1337;
  bool progress = true;
  // LoRA: train these adapters (already set on the model) and the head; the backbone's
  // weights are not updated.
  LlamaLora* lora = nullptr;
};

// c.labels, c.pooling and c.seq set; c.channels, c.w, c.bias are written. The head starts from
// c.w, c.bias when they have the (K, C) and (K) sizes (e.g. a frozen run's head: linear probe,
// then fine-tune), else at 0.
void classify_finetune(LlamaTrainModel& model, const Tokenizer& tok,
                       const std::vector<ClassifyExample>& train, Classifier& c,
                       const ClassifyFinetuneOptions& o);

}  // namespace tock
