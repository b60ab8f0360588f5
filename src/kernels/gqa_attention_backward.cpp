#include "kernels/gqa_attention_backward.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/exp_rows.hpp"
#include "kernels/sgemm.hpp"

namespace tock {

namespace {

// Queries are taken kRowBlock at a time, so a block's products stop at its last key (the
// causal mask): about half the work of full (T, T) products, still GEMM-shaped.
constexpr int64_t kRowBlock = 64;

// What every function here derives from the sizes: query heads per kv head, out's row (C),
// the row strides of q and of k/v (0, packed, resolved) and the score scale 1/√HS.
struct Shape {
  int64_t group, C, LQ, LKV;
  float scale;
};
Shape shape_of(int64_t NH, int64_t NKV, int64_t HS, QkvStrides ld) {
  return {NH / NKV, NH * HS, ld.q != 0 ? ld.q : NH * HS, ld.kv != 0 ? ld.kv : NKV * HS,
          1.0f / std::sqrt(float(HS))};
}

}  // namespace

// The sgemm calls below run inside a task, hence inline on that task's thread.
void gqa_attention_forward(float* out, float* att, const float* q, const float* k,
                           const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                           int64_t HS, QkvStrides ld) {
  const auto [group, C, LQ, LKV, scale] = shape_of(NH, NKV, HS, ld);
  // One task per (b, h): its att block and its HS columns of out are its own.
  parallel_for(B * NH, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NH, h = j % NH, kvh = h / group;
      const float* qh = q + b * T * LQ + h * HS;
      const float* kh = k + b * T * LKV + kvh * HS;
      const float* vh = v + b * T * LKV + kvh * HS;
      float* a = att + j * T * T;
      float* o = out + b * T * C + h * HS;
      for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
        const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
        // pre[t, t2] = q[t]·k[t2] for the block's queries and keys t2 < n.
        sgemm(Op::NoTrans, Op::Trans, m, n, HS, qh + i0 * LQ, LQ, kh, LKV, a + i0 * T, T, false);
        for (int64_t t = i0; t < i0 + m; ++t) {
          float* row = a + t * T;
          for (int64_t t2 = 0; t2 <= t; ++t2) row[t2] *= scale;
          const float sum = exp_shift_sum(row, row, t + 1, row_max(row, t + 1));
          const float inv = 1.0f / sum;
          for (int64_t t2 = 0; t2 <= t; ++t2) row[t2] *= inv;
          std::memset(row + t + 1, 0, size_t(T - t - 1) * sizeof(float));
        }
        // out[t] = Σ_t2 att[t, t2]·v[t2] (att is 0 past t).
        sgemm(Op::NoTrans, Op::NoTrans, m, HS, n, a + i0 * T, T, vh, LKV, o + i0 * C, C, false);
      }
    }
  });
}

void gqa_attention_backward(float* dq, float* dk, float* dv, float* /*scratch*/,
                            const float* dout, const float* q, const float* k, const float* v,
                            const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                            int64_t HS, QkvStrides ld) {
  const auto [group, C, LQ, LKV, scale] = shape_of(NH, NKV, HS, ld);
  // One task per (b, kv head): its dk and dv collect from every later query of every query
  // head of the group, so they stay with one thread (and one summation order).
  parallel_for(B * NKV, [&](int64_t j0, int64_t j1) {
    std::vector<float> dscores(static_cast<size_t>(T * T));  // one head's (T, T) scores' grad
    float* ds = dscores.data();
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NKV, kvh = j % NKV;
      const float* kh = k + b * T * LKV + kvh * HS;
      const float* vh = v + b * T * LKV + kvh * HS;
      float* dkh = dk + b * T * LKV + kvh * HS;
      float* dvh = dv + b * T * LKV + kvh * HS;
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        const float* qh = q + b * T * LQ + h * HS;
        float* dqh = dq + b * T * LQ + h * HS;
        const float* dy = dout + b * T * C + h * HS;
        const float* a = att + (b * NH + h) * T * T;
        for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
          const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
          // out = att·v:  datt = dout·vᵀ,  dv += attᵀ·dout.
          sgemm(Op::NoTrans, Op::Trans, m, n, HS, dy + i0 * C, C, vh, LKV, ds + i0 * T, T, false);
          sgemm(Op::Trans, Op::NoTrans, n, HS, m, a + i0 * T, T, dy + i0 * C, C, dvh, LKV, true);
          // softmax: dpre[t2] = att[t2]·(datt[t2] − Σ att·datt)·scale for t2 <= t, 0 after.
          for (int64_t t = i0; t < i0 + m; ++t) {
            const float* p = a + t * T;
            float* d = ds + t * T;
            float dot = 0.0f;
            for (int64_t t2 = 0; t2 <= t; ++t2) dot += p[t2] * d[t2];
            for (int64_t t2 = 0; t2 <= t; ++t2) d[t2] = p[t2] * (d[t2] - dot) * scale;
            for (int64_t t2 = t + 1; t2 < n; ++t2) d[t2] = 0.0f;
          }
          // pre = q·kᵀ:  dq += dpre·k,  dk += dpreᵀ·q.
          sgemm(Op::NoTrans, Op::NoTrans, m, HS, n, ds + i0 * T, T, kh, LKV, dqh + i0 * LQ, LQ,
                true);
          sgemm(Op::Trans, Op::NoTrans, n, HS, m, ds + i0 * T, T, qh + i0 * LQ, LQ, dkh, LKV,
                true);
        }
      }
    }
  });
}

void gqa_attention_forward_ref(float* out, float* att, const float* q, const float* k,
                               const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                               int64_t HS, QkvStrides ld) {
  const auto [group, C, LQ, LKV, scale] = shape_of(NH, NKV, HS, ld);
  // One query position at a time: (b, h, t) in order.
  for (int64_t j = 0; j < B * NH * T; ++j) {
    const int64_t b = j / (NH * T), h = (j / T) % NH, t = j % T, kvh = h / group;
    const float* qt = q + (b * T + t) * LQ + h * HS;
    float* a = att + ((b * NH + h) * T + t) * T;
    float maxv = -INFINITY;
    for (int64_t t2 = 0; t2 <= t; ++t2) {
      const float* kt = k + (b * T + t2) * LKV + kvh * HS;
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
      const float* vt = v + (b * T + t2) * LKV + kvh * HS;
      for (int64_t i = 0; i < HS; ++i) o[i] += a[t2] * vt[i];
    }
  }
}

void gqa_attention_backward_ref(float* dq, float* dk, float* dv, float* scratch,
                                const float* dout, const float* q, const float* k, const float* v,
                                const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                                int64_t HS, QkvStrides ld) {
  const auto [group, C, LQ, LKV, scale] = shape_of(NH, NKV, HS, ld);
  for (int64_t j = 0; j < B * NKV; ++j) {
    const int64_t b = j / NKV, kvh = j % NKV;
    float* datt = scratch + j * T;
    for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
      for (int64_t t = 0; t < T; ++t) {
        const float* a = att + ((b * NH + h) * T + t) * T;
        const float* dy = dout + (b * T + t) * C + h * HS;
        const float* qt = q + (b * T + t) * LQ + h * HS;
        float* dqt = dq + (b * T + t) * LQ + h * HS;
        // out = Σ att·v:  datt[t2] = v[t2]·dout,  dv[t2] += att[t2]·dout.
        float dot_att = 0.0f;
        for (int64_t t2 = 0; t2 <= t; ++t2) {
          const float* vt = v + (b * T + t2) * LKV + kvh * HS;
          float* dvt = dv + (b * T + t2) * LKV + kvh * HS;
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
          const float* kt = k + (b * T + t2) * LKV + kvh * HS;
          float* dkt = dk + (b * T + t2) * LKV + kvh * HS;
          for (int64_t i = 0; i < HS; ++i) {
            dqt[i] += dpre * kt[i];
            dkt[i] += dpre * qt[i];
          }
        }
      }
    }
  }
}

}  // namespace tock
