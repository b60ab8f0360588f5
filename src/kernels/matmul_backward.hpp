// Linear layers for training on f32 weights (llm.c's matmul_forward/backward), with bias:
// out = inp · Wᵀ + b, the layout of matmul.hpp and of PyTorch's nn.Linear (W is (OC, C)).
// The _ref functions are the plain loops the fast ones are tested against; the fast ones are
// three sgemm calls (sgemm.hpp: packed, register-blocked, threaded, ISA picked at run time) plus
// a threaded bias sum. N = B·T rows. Not here: quantized weights (see matmul.hpp), BLAS.
#pragma once
#include <cstdint>

namespace tock {

// out (N, OC) = inp (N, C) · weight (OC, C)ᵀ + bias (OC). bias may be null. Overwrites out.
void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t N, int64_t C, int64_t OC);
void matmul_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int64_t N, int64_t C, int64_t OC);

// Accumulates (+=): dinp (N, C) += dout · weight; dweight (OC, C) += doutᵀ · inp;
// dbias (OC) += Σ_n dout[n,:]. dbias may be null (a layer without bias); so may dweight in
// the fast version (a frozen weight).
void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC);
void matmul_backward_ref(float* dinp, float* dweight, float* dbias, const float* dout,
                         const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC);

}  // namespace tock
