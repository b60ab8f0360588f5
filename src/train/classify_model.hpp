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

class Model;
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

// Each text tokenized without specials and cut to `seq` tokens (an empty text becomes EOS).
std::vector<std::vector<int32_t>> classify_token_ids(const Tokenizer& tok,
                                                     const std::vector<std::string>& texts,
                                                     int64_t seq);

// Pooled final hidden states (N, C) of the texts (classify_token_ids), run `batch` texts per
// forward of the training model (random weights, adapters, or the weights being trained).
std::vector<float> classify_features(LlamaTrainModel& model, const Tokenizer& tok,
                                     const std::vector<std::string>& texts, int64_t seq,
                                     Pooling pooling, int64_t batch, bool progress);

// The same features from Tock's inference forward (model/model.hpp; `batch` texts as that many
// sequences of one forward): on its fast path quantized weights stay quantized (integer dot
// products), ~2.5x the training forward's speed here, within the activations' 8-bit rounding.
std::vector<float> classify_features(Model& model, const Tokenizer& tok,
                                     const std::vector<std::string>& texts, int64_t seq,
                                     Pooling pooling, int64_t batch, bool progress);

// The features train (frozen backbone) and eval classify both use for a classifier without an
// adapter: the inference fast path on c.base when it is a GGUF as is (base_seed 0), else the
// training model with the random weights of base_seed.
std::vector<float> classifier_features(const Classifier& c, const std::vector<std::string>& texts,
                                       int64_t batch, bool progress);

// argmax of the head over features (N, C).
std::vector<int32_t> classify_predict(const Classifier& c, const std::vector<float>& features);

}  // namespace tock
