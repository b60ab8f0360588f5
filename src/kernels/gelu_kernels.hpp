// GELU-tanh over a contiguous range, per ISA (internal to src/kernels): the AVX2 versions
// compute tanh from a vector exp (Cephes expf, ~1 ulp) instead of calling libm per element.
#pragma once
#include <cstdint>

namespace tock {

// out[i] = gelu(inp[i]);  dinp[i] += gelu'(inp[i])·dout[i];  i in [0, n).
void gelu_forward_avx2(float* out, const float* inp, int64_t n);
void gelu_backward_avx2(float* dinp, const float* inp, const float* dout, int64_t n);

}  // namespace tock
