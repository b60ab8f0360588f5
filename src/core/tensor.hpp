// A non-owning view of a tensor's bytes: its type, shape and data.
// Shapes follow ggml/GGUF: ne[0] is the innermost (contiguous) dimension, so a weight
// matrix W with ne = {C_in, C_out} holds C_out rows of C_in elements.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.hpp"

namespace tock {

struct TensorView {
  std::string name;
  DType type = DType::F32;
  int n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  const void* data = nullptr;
  size_t nbytes = 0;
  // The same matrix repacked for the AVX2 matmul (kernels/packed_rows8.hpp), or nullptr. Owned by
  // whoever packed it (ModelWeights); data stays valid and the other ISA levels read that.
  const void* packed = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return nbytes / size_t(n_rows()); }
  const uint8_t* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + size_t(r) * row_bytes();
  }
};

}  // namespace tock
