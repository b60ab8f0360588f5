#include "kernels/gemm_kernels.hpp"

namespace tock {

bool gemm_amx(const TensorView&, const float*, float*, int64_t) { return false; }

}  // namespace tock
