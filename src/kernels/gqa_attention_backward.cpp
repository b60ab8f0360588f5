#include "kernels/gqa_attention_backward.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace tock {

void gqa_attention_forward(float* out, float* att, const float* q, const float* k,
                           const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                           int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One task per (b, h, t): each writes its own att row and its own HS slice of out.
  parallel_for(B * NH * T, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / (NH * T), h = (j / T) % NH, t = j % T, kvh = h / group;
      const float* qt = q + (b * T + t) * C + h * HS;
      float* a = att + ((b * NH + h) * T + t) * T;
      float maxv = -INFINITY;
      for (int64_t t2 = 0; t2 <= t; ++t2) {
        const float* kt = k + (b * T + t2) * KV + kvh * HS;
        float s = 0.0f;
        for (int64_t i = 0; i < HS; ++i) s += qt[i] * kt[i];
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
        const float* vt = v + (b * T + t2) * KV + kvh * HS;
        for (int64_t i = 0; i < HS; ++i) o[i] += a[t2] * vt[i];
      }
    }
  });
}

void gqa_attention_backward(float* dq, float* dk, float* dv, float* scratch, const float* dout,
                            const float* q, const float* k, const float* v, const float* att,
                            int64_t B, int64_t T, int64_t NH, int64_t NKV, int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  parallel_for(B * NKV, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NKV, kvh = j % NKV;
      float* datt = scratch + j * T;
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        for (int64_t t = 0; t < T; ++t) {
          const float* a = att + ((b * NH + h) * T + t) * T;
          const float* dy = dout + (b * T + t) * C + h * HS;
          const float* qt = q + (b * T + t) * C + h * HS;
          float* dqt = dq + (b * T + t) * C + h * HS;
          // out = Σ att·v:  datt[t2] = v[t2]·dout,  dv[t2] += att[t2]·dout.
          float dot_att = 0.0f;
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            const float* vt = v + (b * T + t2) * KV + kvh * HS;
            float* dvt = dv + (b * T + t2) * KV + kvh * HS;
            float s = 0.0f;
            for (int64_t i = 0; i < HS; ++i) {
              s += vt[i] * dy[i];
              dvt[i] += a[t2] * dy[i];
            }
            datt[t2] = s;
            dot_att += a[t2] * s;
          }
          // softmax: dpre[t2] = att[t2]·(datt[t2] − Σ att·datt);  pre = scale·q·k.
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            const float dpre = a[t2] * (datt[t2] - dot_att) * scale;
            const float* kt = k + (b * T + t2) * KV + kvh * HS;
            float* dkt = dk + (b * T + t2) * KV + kvh * HS;
            for (int64_t i = 0; i < HS; ++i) {
              dqt[i] += dpre * kt[i];
              dkt[i] += dpre * qt[i];
            }
          }
        }
      }
    }
  });
}

}  // namespace tock
