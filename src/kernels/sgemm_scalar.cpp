// sgemm's portable micro-kernel (TOCK_ISA=scalar, or a CPU without AVX2): a 4×8 tile of C in
// a local array the compiler may keep in SSE registers; unfused multiply then add.
#include <cstdint>

#include "kernels/sgemm_kernels.hpp"

namespace tock {
namespace {

constexpr int64_t kMr = 4, kNr = 8;

void kernel_4x8(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool load_c) {
  float acc[kMr][kNr];
  for (int64_t i = 0; i < kMr; ++i)
    for (int64_t j = 0; j < kNr; ++j) acc[i][j] = load_c ? c[i * ldc + j] : 0.0f;
  for (int64_t k = 0; k < kc; ++k) {
    for (int64_t i = 0; i < kMr; ++i)
      for (int64_t j = 0; j < kNr; ++j) acc[i][j] += a[i] * b[j];
    a += kMr;
    b += kNr;
  }
  for (int64_t i = 0; i < kMr; ++i)
    for (int64_t j = 0; j < kNr; ++j) c[i * ldc + j] = acc[i][j];
}

}  // namespace

SgemmKernel sgemm_kernel_scalar() { return {kMr, kNr, kernel_4x8}; }

}  // namespace tock
