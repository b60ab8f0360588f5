// `tock train --task classify`: the classification path of `tock train` (cmd_train.cpp
// registers these flags and calls run_train_classify when --task is classify).
#pragma once
#include <string>

namespace CLI {
class App;
}

namespace tock {
struct TrainOptions;
}

namespace tock::cli {

struct ClassifyTrainFlags {
  std::string task = "lm";  // lm (next-token training) or classify
  std::string labels, val, pool = "mean";
  bool scratch = false;  // the --init architecture with random weights (seeded by --seed)
  bool finetune = false;  // train the backbone too (else frozen features)
  float head_lr = 1e-2f;  // the head's learning rate with --finetune or --lora-rank
  int64_t lora_rank = 0;  // > 0: train LoRA adapters on q/v (and the head) instead
  float lora_alpha = 0.0f;  // 0: 2·rank
  std::string merge;  // with --lora-rank: also write the backbone with the adapters folded in
  bool train_accuracy = true;  // --finetune/--lora-rank: re-run the train set for its accuracy
  std::string head_init;  // --finetune/--lora-rank: the head starts from this classifier's
};

void add_classify_train_flags(CLI::App* cmd, ClassifyTrainFlags& f);
int run_train_classify(const TrainOptions& o, const ClassifyTrainFlags& f);

}  // namespace tock::cli
