#include "kernels/gemm_kernels.hpp"

namespace tock {

GemmKernel gemm_kernel_avx512() { return gemm_kernel_avx2(); }

}  // namespace tock
