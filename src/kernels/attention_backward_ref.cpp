// attention_forward_ref / attention_backward_ref: the plain per-position loops (llm.c) the
// GEMM-shaped kernels are tested against.
#include "kernels/attention_backward.hpp"

#include <cmath>

namespace tock {

void attention_forward_ref(float* out, float* att, const float* inp, int64_t B, int64_t T,
                           int64_t C, int64_t NH) {
  const int64_t C3 = 3 * C, HS = C / NH;
  const float scale = 1.0f / std::sqrt(float(HS));
  for (int64_t j = 0; j < B * NH * T; ++j) {
    const int64_t b = j / (NH * T), h = (j / T) % NH, t = j % T;
    const float* q = inp + (b * T + t) * C3 + h * HS;
    float* a = att + ((b * NH + h) * T + t) * T;
    float maxv = -INFINITY;
    for (int64_t t2 = 0; t2 <= t; ++t2) {
      const float* k = inp + (b * T + t2) * C3 + C + h * HS;
      float s = 0.0f;
      for (int64_t i = 0; i < HS; ++i) s += q[i] * k[i];
      s *= scale;
      a[t2] = s;
      maxv = s > maxv ? s : maxv;
    }
    float sum = 0.0f;
    for (int64_t t2 = 0; t2 <= t; ++t2) {
      a[t2] = std::exp(a[t2] - maxv);
      sum += a[t2];
    }
    const float inv = 1.0f / sum;
    for (int64_t t2 = 0; t2 <= t; ++t2) a[t2] *= inv;
    for (int64_t t2 = t + 1; t2 < T; ++t2) a[t2] = 0.0f;
    float* o = out + (b * T + t) * C + h * HS;
    for (int64_t i = 0; i < HS; ++i) o[i] = 0.0f;
    for (int64_t t2 = 0; t2 <= t; ++t2) {
      const float* v = inp + (b * T + t2) * C3 + 2 * C + h * HS;
      for (int64_t i = 0; i < HS; ++i) o[i] += a[t2] * v[i];
    }
  }
}

void attention_backward_ref(float* dinp, float* scratch, const float* dout, const float* inp,
                            const float* att, int64_t B, int64_t T, int64_t C, int64_t NH) {
  const int64_t C3 = 3 * C, HS = C / NH;
  const float scale = 1.0f / std::sqrt(float(HS));
  for (int64_t j = 0; j < B * NH; ++j) {
    const int64_t b = j / NH, h = j % NH;
    float* datt = scratch + j * T;
    for (int64_t t = 0; t < T; ++t) {
      const float* a = att + ((b * NH + h) * T + t) * T;
      const float* dy = dout + (b * T + t) * C + h * HS;
      const float* q = inp + (b * T + t) * C3 + h * HS;
      float* dq = dinp + (b * T + t) * C3 + h * HS;
      // out = Σ att·v:  datt[t2] = v[t2]·dout,  dv[t2] += att[t2]·dout.
      float dot_att = 0.0f;
      for (int64_t t2 = 0; t2 <= t; ++t2) {
        const float* v = inp + (b * T + t2) * C3 + 2 * C + h * HS;
        float* dv = dinp + (b * T + t2) * C3 + 2 * C + h * HS;
        float s = 0.0f;
        for (int64_t i = 0; i < HS; ++i) {
          s += v[i] * dy[i];
          dv[i] += a[t2] * dy[i];
        }
        datt[t2] = s;
        dot_att += a[t2] * s;
      }
      // softmax: dpre[t2] = att[t2]·(datt[t2] - Σ att·datt);  pre = scale·q·k.
      for (int64_t t2 = 0; t2 <= t; ++t2) {
        const float dpre = a[t2] * (datt[t2] - dot_att) * scale;
        const float* k = inp + (b * T + t2) * C3 + C + h * HS;
        float* dk = dinp + (b * T + t2) * C3 + C + h * HS;
        for (int64_t i = 0; i < HS; ++i) {
          dq[i] += dpre * k[i];
          dk[i] += dpre * q[i];
        }
      }
    }
  }
}

}  // namespace tock
