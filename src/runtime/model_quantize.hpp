// Requantizing a GGUF model file (`tock quantize`): every weight matrix is read in its own type
// (any type the dequantizer knows), converted to the target type with the reference quantizers
// of kernels/quantize.hpp and written with all metadata (hyper-parameters, tokenizer) kept.
// Rules, as llama.cpp's quantizer applies them: 1-D tensors (norms, biases) are copied as they
// are (F32); a matrix whose rows are not whole 32-element blocks goes to F16 when the target is
// a block type (llama.cpp's fallback); a tensor already in the target type is copied byte for byte.
// Not here: K-quant targets, importance matrices, mixed per-layer recipes.
#pragma once
#include <cstddef>
#include <string>

#include "core/dtype.hpp"

namespace tock {

struct QuantizeOptions {
  DType type = DType::Q8_0;   // F32, F16, BF16, Q8_0, Q4_0 or Q4_1
  bool keep_output = false;   // copy output.weight and token_embd.weight unchanged
};

struct QuantizeSummary {
  int tensors = 0;      // all tensors written
  int converted = 0;    // requantized to the target type
  int fallback = 0;     // matrices stored as F16/F32 because K is not a multiple of the block
  size_t in_bytes = 0, out_bytes = 0;  // tensor data only
};

// Parses "Q8_0", "q4_1", "f16", "BF16", ... into a target type; throws naming the accepted ones.
DType parse_quantize_type(const std::string& name);

// Reads `in`, writes `out` atomically (temp file, fsync, rename). Throws Error naming the file
// and tensor on any problem; `out` is untouched then.
QuantizeSummary quantize_model_file(const std::string& in, const std::string& out,
                                    const QuantizeOptions& options);

}  // namespace tock
