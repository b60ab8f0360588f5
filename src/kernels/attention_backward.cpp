#include "kernels/attention_backward.hpp"

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

}  // namespace

// The sgemm calls below run inside a (b, h) task, hence inline on that task's thread.
void attention_forward(float* out, float* att, const float* inp, int64_t B, int64_t T, int64_t C,
                       int64_t NH) {
  const int64_t C3 = 3 * C, HS = C / NH;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One task per (b, h): its att block and its HS columns of out are its own.
  parallel_for(B * NH, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NH, h = j % NH;
      const float* q = inp + b * T * C3 + h * HS;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* a = att + j * T * T;
      float* o = out + b * T * C + h * HS;
      for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
        const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
        // pre[t, t2] = q[t]·k[t2] for the block's queries and keys t2 < n.
        sgemm(Op::NoTrans, Op::Trans, m, n, HS, q + i0 * C3, C3, k, C3, a + i0 * T, T, false);
        for (int64_t t = i0; t < i0 + m; ++t) {
          float* row = a + t * T;
          for (int64_t t2 = 0; t2 <= t; ++t2) row[t2] *= scale;
          const float sum = exp_shift_sum(row, row, t + 1, row_max(row, t + 1));
          const float inv = 1.0f / sum;
          for (int64_t t2 = 0; t2 <= t; ++t2) row[t2] *= inv;
          std::memset(row + t + 1, 0, size_t(T - t - 1) * sizeof(float));
        }
        // out[t] = Σ_t2 att[t, t2]·v[t2] (att is 0 past t).
        sgemm(Op::NoTrans, Op::NoTrans, m, HS, n, a + i0 * T, T, v, C3, o + i0 * C, C, false);
      }
    }
  });
}

void attention_backward(float* dinp, float* /*scratch*/, const float* dout, const float* inp,
                        const float* att, int64_t B, int64_t T, int64_t C, int64_t NH) {
  const int64_t C3 = 3 * C, HS = C / NH;
  const float scale = 1.0f / std::sqrt(float(HS));
  // One task per (b, h): dk and dv of a position collect from every later query of the same
  // head, so a head's whole sequence stays with one thread (and one summation order).
  parallel_for(B * NH, [&](int64_t j0, int64_t j1) {
    std::vector<float> dscores(static_cast<size_t>(T * T));  // this range's (T, T) scores' grad
    float* ds = dscores.data();
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t b = j / NH, h = j % NH;
      const float* q = inp + b * T * C3 + h * HS;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* dq = dinp + b * T * C3 + h * HS;
      float* dk = dq + C;
      float* dv = dq + 2 * C;
      const float* a = att + j * T * T;
      const float* dy = dout + b * T * C + h * HS;
      for (int64_t i0 = 0; i0 < T; i0 += kRowBlock) {
        const int64_t m = std::min(kRowBlock, T - i0), n = i0 + m;
        // out = att·v:  datt = dout·vᵀ,  dv += attᵀ·dout.
        sgemm(Op::NoTrans, Op::Trans, m, n, HS, dy + i0 * C, C, v, C3, ds + i0 * T, T, false);
        sgemm(Op::Trans, Op::NoTrans, n, HS, m, a + i0 * T, T, dy + i0 * C, C, dv, C3, true);
        // softmax: dpre[t2] = att[t2]·(datt[t2] - Σ att·datt)·scale for t2 <= t, 0 after.
        for (int64_t t = i0; t < i0 + m; ++t) {
          const float* p = a + t * T;
          float* d = ds + t * T;
          float dot = 0.0f;
          for (int64_t t2 = 0; t2 <= t; ++t2) dot += p[t2] * d[t2];
          for (int64_t t2 = 0; t2 <= t; ++t2) d[t2] = p[t2] * (d[t2] - dot) * scale;
          for (int64_t t2 = t + 1; t2 < n; ++t2) d[t2] = 0.0f;
        }
        // pre = q·kᵀ:  dq += dpre·k,  dk += dpreᵀ·q.
        sgemm(Op::NoTrans, Op::NoTrans, m, HS, n, ds + i0 * T, T, k, C3, dq + i0 * C3, C3, true);
        sgemm(Op::Trans, Op::NoTrans, n, HS, m, ds + i0 * T, T, q + i0 * C3, C3, dk, C3, true);
      }
    }
  });
}

}  // namespace tock
