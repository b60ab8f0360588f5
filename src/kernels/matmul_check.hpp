// Internal to the matmul: validation of a weight matrix's shape and bytes, shared by the
// reference and the fast path, so both reject the same bad inputs with the same words.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace tock {

struct MatmulShape {
  int64_t K = 0;  // elements per weight row (inner dimension)
  int64_t N = 0;  // weight rows (outputs)
};

// Throws Error naming the tensor when W is not a 2-D matrix of whole blocks with matching
// bytes and data, or T < 0.
MatmulShape check_matmul(const TensorView& W, int64_t T, const char* who);

}  // namespace tock
