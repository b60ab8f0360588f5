// A sequence classifier = a Llama-style backbone GGUF (frozen) + a head (classify_head.hpp),
// saved as a small GGUF of its own: tensors cls.weight (K, C) and cls.bias (K), keys
// classify.labels, classify.pooling, classify.seq (tokens per text), classify.base (the
// backbone GGUF's path) and classify.base_seed (0: the backbone's weights; else the same
// architecture with random weights from this seed, the from-scratch comparison).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/classify_head.hpp"
#include "train/llama_train.hpp"

namespace tock {

class Tokenizer;

struct Classifier {
  std::vector<std::string> labels;
  Pooling pooling = Pooling::mean;
  int64_t seq = 64;
  std::string base;
  uint64_t base_seed = 0;
  int64_t channels = 0;
  std::vector<float> w, bias;  // (K, C), (K)
};

void save_classifier(const Classifier& c, const std::string& path);
Classifier load_classifier(const std::string& path);

// The backbone the classifier was trained on (from_gguf, or random weights from base_seed).
std::unique_ptr<LlamaTrainModel> classifier_backbone(const std::string& base, uint64_t base_seed);

// Pooled final hidden states (N, C) of the texts, each tokenized without specials and cut to
// `seq` tokens (an empty text becomes the EOS token), run `batch` texts per forward.
std::vector<float> classify_features(LlamaTrainModel& model, const Tokenizer& tok,
                                     const std::vector<std::string>& texts, int64_t seq,
                                     Pooling pooling, int64_t batch, bool progress);

// argmax of the head over features (N, C).
std::vector<int32_t> classify_predict(const Classifier& c, const std::vector<float>& features);

}  // namespace tock
