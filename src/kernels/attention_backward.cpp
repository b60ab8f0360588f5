// The fused-qkv layout mapped onto the GQA kernels: q, k, v are column offsets 0, C, 2C of the
// same (B, T, 3C) rows, so both strides are 3C, and the gradients land in dinp likewise.
#include "kernels/attention_backward.hpp"

#include "kernels/gqa_attention_backward.hpp"

namespace tock {

namespace {

QkvStrides fused(int64_t C) { return {3 * C, 3 * C}; }

}  // namespace

void attention_forward(float* out, float* att, const float* inp, int64_t B, int64_t T, int64_t C,
                       int64_t NH) {
  gqa_attention_forward(out, att, inp, inp + C, inp + 2 * C, B, T, NH, NH, C / NH, fused(C));
}

void attention_backward(float* dinp, float* scratch, const float* dout, const float* inp,
                        const float* att, int64_t B, int64_t T, int64_t C, int64_t NH) {
  gqa_attention_backward(dinp, dinp + C, dinp + 2 * C, scratch, dout, inp, inp + C, inp + 2 * C,
                         att, B, T, NH, NH, C / NH, fused(C));
}

void attention_forward_ref(float* out, float* att, const float* inp, int64_t B, int64_t T,
                           int64_t C, int64_t NH) {
  gqa_attention_forward_ref(out, att, inp, inp + C, inp + 2 * C, B, T, NH, NH, C / NH, fused(C));
}

void attention_backward_ref(float* dinp, float* scratch, const float* dout, const float* inp,
                            const float* att, int64_t B, int64_t T, int64_t C, int64_t NH) {
  gqa_attention_backward_ref(dinp, dinp + C, dinp + 2 * C, scratch, dout, inp, inp + C,
                             inp + 2 * C, att, B, T, NH, NH, C / NH, fused(C));
}

}  // namespace tock
