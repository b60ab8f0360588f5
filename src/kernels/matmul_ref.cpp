// The reference matmul: dequantize each weight row to f32 (dequant.hpp), then a plain dot
// product per activation row, accumulated in double. Slow and obviously right.
#include <vector>

#include "core/error.hpp"
#include "kernels/dequant.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_check.hpp"

namespace tock {

void matmul_ref(const TensorView& W, const float* x, float* y, int64_t T) {
  const MatmulShape s = check_matmul(W, T, "matmul_ref");
  if (!can_dequantize(W.type)) fail("matmul_ref: weight '", W.name, "' has unsupported type ", dtype_name(W.type));
  std::vector<float> w(size_t(s.K));
  for (int64_t n = 0; n < s.N; ++n) {
    dequantize_row(W.type, W.row(n), w.data(), s.K);
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * s.K;
      double acc = 0.0;
      for (int64_t k = 0; k < s.K; ++k) acc += double(w[size_t(k)]) * xt[k];
      y[t * s.N + n] = float(acc);
    }
  }
}

}  // namespace tock
