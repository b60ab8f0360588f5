// A model file at a glance: what `tock info` prints, as data a test can check.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/gguf.hpp"

namespace tock {

struct GgufSummary {
  std::string path;
  uint64_t file_size = 0;
  uint32_t version = 0;
  std::string name;          // general.name ("" when absent)
  std::string architecture;  // general.architecture ("" when absent)
  // Scalar metadata under "<architecture>." in file order, key without the prefix,
  // value as text: {"context_length", "8192"}, {"rope.freq_base", "100000"}.
  std::vector<std::pair<std::string, std::string>> hparams;
  std::string tokenizer_model;  // tokenizer.ggml.model ("" when absent)
  std::string tokenizer_pre;    // tokenizer.ggml.pre
  int64_t vocab_size = 0;       // entries of tokenizer.ggml.tokens
  int64_t merges = 0;           // entries of tokenizer.ggml.merges
  bool has_chat_template = false;
  size_t chat_template_chars = 0;
  int64_t n_tensors = 0;
  // Tensor count and bytes per type, in order of ggml type id: {"Q4_1", 210, bytes}.
  struct TypeCount {
    std::string type;
    int64_t tensors = 0;
    int64_t elements = 0;
    uint64_t bytes = 0;
  };
  std::vector<TypeCount> by_type;
  int64_t n_params = 0;  // sum of all tensors' element counts
  uint64_t tensor_bytes = 0;
};

GgufSummary summarize(const GgufFile& f);

// A metadata scalar as text (numbers in shortest round-trip form, strings as-is, arrays as
// "[N × type]").
std::string gguf_value_text(const GgufValue& v);

}  // namespace tock
