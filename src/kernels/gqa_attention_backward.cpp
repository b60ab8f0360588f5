#include "kernels/gqa_attention_backward.hpp"

#include <cmath>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"

namespace tock {

namespace {

// Queries are taken kRowBlock at a time, so a block's products stop at its last key (the
// causal mask), as attention_backward.cpp does for multi-head attention.
constexpr int64_t kRowBlock = 64;

// C (M, N) (+)= op(A) · op(B); called inside a task, so it runs on that thread.
void gemm(Op op_a, Op op_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  SgemmArgs g;
  g.op_a = op_a;
  g.op_b = op_b;
  g.M = M;
  g.N = N;
  g.K = K;
  g.A = A;
  g.lda = lda;
  g.B = B;
  g.ldb = ldb;
  g.C = C;
  g.ldc = ldc;
  g.accumulate = accumulate;
  sgemm(g);
}

}  // namespace

void gqa_attention_forward(float* out, float* att, const float* q, const float* k,
                           const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                           int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One task per (b, h): its att block and its HS columns of out are its own.
  parallel_for(B * NH, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NH, h = j % NH, kvh = h / group;
      const float* qh = q + b * T * C + h * HS;
      const float* kh = k + b * T * KV + kvh * HS;
      const float* vh = v + b * T * KV + kvh * HS;
      float* a = att + j * T * T;
      float* o = out + b * T * C + h * HS;
      for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
        const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
        // pre[t, t2] = q[t]·k[t2] for the block's queries and keys t2 < n.
        gemm(Op::NoTrans, Op::Trans, m, n, HS, qh + i0 * C, C, kh, KV, a + i0 * T, T, false);
        for (int64_t t = i0; t < i0 + m; ++t) {
          float* row = a + t * T;
          float maxv = -INFINITY;
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            row[t2] *= scale;
            maxv = row[t2] > maxv ? row[t2] : maxv;
          }
          float sum = 0.0f;
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            row[t2] = std::exp(row[t2] - maxv);
            sum += row[t2];
          }
          const float inv = 1.0f / sum;
          for (int64_t t2 = 0; t2 <= t; ++t2) row[t2] *= inv;
          std::memset(row + t + 1, 0, size_t(T - t - 1) * sizeof(float));
        }
        // out[t] = Σ_t2 att[t, t2]·v[t2] (att is 0 past t).
        gemm(Op::NoTrans, Op::NoTrans, m, HS, n, a + i0 * T, T, vh, KV, o + i0 * C, C, false);
      }
    }
  });
}

void gqa_attention_backward(float* dq, float* dk, float* dv, float* /*scratch*/,
                            const float* dout, const float* q, const float* k, const float* v,
                            const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                            int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One task per (b, kv head): its dk and dv collect from every query head of the group.
  parallel_for(B * NKV, [&](int64_t j0, int64_t j1) {
    std::vector<float> dscores(static_cast<size_t>(T * T));  // one head's (T, T) scores' grad
    float* ds = dscores.data();
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NKV, kvh = j % NKV;
      const float* kh = k + b * T * KV + kvh * HS;
      const float* vh = v + b * T * KV + kvh * HS;
      float* dkh = dk + b * T * KV + kvh * HS;
      float* dvh = dv + b * T * KV + kvh * HS;
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        const float* qh = q + b * T * C + h * HS;
        float* dqh = dq + b * T * C + h * HS;
        const float* dy = dout + b * T * C + h * HS;
        const float* a = att + (b * NH + h) * T * T;
        for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
          const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
          // out = att·v:  datt = dout·vᵀ,  dv += attᵀ·dout.
          gemm(Op::NoTrans, Op::Trans, m, n, HS, dy + i0 * C, C, vh, KV, ds + i0 * T, T, false);
          gemm(Op::Trans, Op::NoTrans, n, HS, m, a + i0 * T, T, dy + i0 * C, C, dvh, KV, true);
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
          gemm(Op::NoTrans, Op::NoTrans, m, HS, n, ds + i0 * T, T, kh, KV, dqh + i0 * C, C, true);
          gemm(Op::Trans, Op::NoTrans, n, HS, m, ds + i0 * T, T, qh + i0 * C, C, dkh, KV, true);
        }
      }
    }
  });
}

void gqa_attention_forward_ref(float* out, float* att, const float* q, const float* k,
                               const float* v, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                               int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One query position at a time: (b, h, t) in order.
  for (int64_t j = 0; j < B * NH * T; ++j) {
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
}

void gqa_attention_backward_ref(float* dq, float* dk, float* dv, float* scratch,
                                const float* dout, const float* q, const float* k, const float* v,
                                const float* att, int64_t B, int64_t T, int64_t NH, int64_t NKV,
                                int64_t HS) {
  const int64_t group = NH / NKV, C = NH * HS, KV = NKV * HS;
  const float scale = 1.0f / std::sqrt(float(HS));
  for (int64_t j = 0; j < B * NKV; ++j) {
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
}

}  // namespace tock
