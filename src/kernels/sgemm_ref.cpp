// sgemm_ref: the obvious triple loop the blocked sgemm is tested against.
#include "kernels/sgemm.hpp"
#include "kernels/sgemm_kernels.hpp"

namespace tock {

void sgemm_ref(const SgemmArgs& g) {
  for (int64_t i = 0; i < g.M; ++i) {
    for (int64_t j = 0; j < g.N; ++j) {
      float acc = g.accumulate ? g.C[i * g.ldc + j] : 0.0f;
      for (int64_t k = 0; k < g.K; ++k) {
        const float a = g.op_a == Op::Trans ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
        const float b = g.op_b == Op::Trans ? g.B[j * g.ldb + k] : g.B[k * g.ldb + j];
        acc += a * b;
      }
      g.C[i * g.ldc + j] = acc;
    }
  }
}


// The strip transpose of sgemm_kernels.hpp, element by element.
void sgemm_transpose_ref(float* dst, const float* src, int64_t ld, int64_t kc, int64_t rows) {
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t r = 0; r < rows; ++r) dst[k * rows + r] = src[r * ld + k];
}

}  // namespace tock
