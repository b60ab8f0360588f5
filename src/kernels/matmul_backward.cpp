#include "kernels/matmul_backward.hpp"

#include <algorithm>
#include <cstring>

#include "core/thread_pool.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors never cross this file's boundary

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TOCK_TRAIN_CLONES [[gnu::target_clones("arch=x86-64-v3", "default")]]
#else
#define TOCK_TRAIN_CLONES
#endif

namespace tock {

// ---- reference -------------------------------------------------------------------------

void matmul_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int64_t N, int64_t C, int64_t OC) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < OC; ++o) {
      float acc = bias ? bias[o] : 0.0f;
      for (int64_t i = 0; i < C; ++i) acc += inp[n * C + i] * weight[o * C + i];
      out[n * OC + o] = acc;
    }
  }
}

void matmul_backward_ref(float* dinp, float* dweight, float* dbias, const float* dout,
                         const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < OC; ++o) {
      const float d = dout[n * OC + o];
      for (int64_t i = 0; i < C; ++i) {
        dinp[n * C + i] += weight[o * C + i] * d;
        dweight[o * C + i] += inp[n * C + i] * d;
      }
      if (dbias) dbias[o] += d;
    }
  }
}

// ---- fast ------------------------------------------------------------------------------

namespace {

// 8 floats as the compiler's vector type (GCC/Clang extension): one AVX register on the
// x86-64-v3 clone, two SSE registers on the baseline; vectorizes without -ffast-math.
typedef float f8 __attribute__((vector_size(32)));

constexpr int64_t kRows = 8;    // rows of inp per tile: one 8-float vector after transposing
constexpr int64_t kCols = 4;    // outputs computed together (4 accumulator vectors)
constexpr int64_t kDepth = 256; // C is walked in blocks this long, so the tile stays in L1

// out rows [n0, n0 + nr) (nr <= kRows), all OC outputs. The tile of inp is transposed to
// (C-block, kRows) so the inner loop is a broadcast of one weight times a vector of 8 rows.
TOCK_TRAIN_CLONES
void forward_tile(float* out, const float* inp, const float* weight, const float* bias, int64_t n0,
                  int64_t nr, int64_t C, int64_t OC) {
  alignas(32) float xt[kDepth * kRows];
  for (int64_t o = 0; o < OC; ++o) {
    const float b = bias ? bias[o] : 0.0f;
    for (int64_t r = 0; r < nr; ++r) out[(n0 + r) * OC + o] = b;
  }
  for (int64_t i0 = 0; i0 < C; i0 += kDepth) {
    const int64_t ni = std::min(kDepth, C - i0);
    for (int64_t i = 0; i < ni; ++i)
      for (int64_t r = 0; r < kRows; ++r) xt[i * kRows + r] = r < nr ? inp[(n0 + r) * C + i0 + i] : 0.0f;
    int64_t o = 0;
    for (; o + kCols <= OC; o += kCols) {
      // 4 outputs × 8 rows in four vector registers; one FMA per weight per vector.
      f8 acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
      const float* w0 = weight + (o + 0) * C + i0;
      const float* w1 = weight + (o + 1) * C + i0;
      const float* w2 = weight + (o + 2) * C + i0;
      const float* w3 = weight + (o + 3) * C + i0;
      for (int64_t i = 0; i < ni; ++i) {
        f8 x;
        std::memcpy(&x, xt + i * kRows, sizeof(x));
        acc0 += w0[i] * x;
        acc1 += w1[i] * x;
        acc2 += w2[i] * x;
        acc3 += w3[i] * x;
      }
      for (int64_t r = 0; r < nr; ++r) {
        float* y = out + (n0 + r) * OC + o;
        y[0] += acc0[r];
        y[1] += acc1[r];
        y[2] += acc2[r];
        y[3] += acc3[r];
      }
    }
    for (; o < OC; ++o) {
      float acc[kRows] = {};
      const float* w = weight + o * C + i0;
      for (int64_t i = 0; i < ni; ++i)
        for (int64_t r = 0; r < kRows; ++r) acc[r] += w[i] * xt[i * kRows + r];
      for (int64_t r = 0; r < nr; ++r) out[(n0 + r) * OC + o] += acc[r];
    }
  }
}

// y[j,:] += a[j] · x for kCols rows y[j] = y0 + j·ystride: the common shape of both halves of
// the backward (a rank-1 update of a few rows), vectorized along the contiguous length n.
TOCK_TRAIN_CLONES
void update_rows(float* y0, int64_t ystride, int64_t rows, const float* a, const float* x,
                 int64_t n) {
  if (rows == kCols) {
    float* y1 = y0 + ystride;
    float* y2 = y1 + ystride;
    float* y3 = y2 + ystride;
    const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      y0[i] += a0 * v;
      y1[i] += a1 * v;
      y2[i] += a2 * v;
      y3[i] += a3 * v;
    }
    return;
  }
  for (int64_t j = 0; j < rows; ++j) {
    float* y = y0 + j * ystride;
    const float aj = a[j];
    for (int64_t i = 0; i < n; ++i) y[i] += aj * x[i];
  }
}

}  // namespace

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t N, int64_t C, int64_t OC) {
  const int64_t tiles = (N + kRows - 1) / kRows;
  parallel_for(tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = t * kRows;
      forward_tile(out, inp, weight, bias, n0, std::min(kRows, N - n0), C, OC);
    }
  });
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int64_t N, int64_t C, int64_t OC) {
  // dinp[n,:] += Σ_o dout[n,o] · weight[o,:]: threads split the rows n, kCols rows at a time.
  const int64_t row_groups = (N + kCols - 1) / kCols;
  parallel_for(row_groups, [&](int64_t g0, int64_t g1) {
    float a[kCols];
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t n0 = g * kCols, nr = std::min(kCols, N - n0);
      for (int64_t o = 0; o < OC; ++o) {
        for (int64_t r = 0; r < nr; ++r) a[r] = dout[(n0 + r) * OC + o];
        update_rows(dinp + n0 * C, C, nr, a, weight + o * C, C);
      }
    }
  });
  // dweight[o,:] += Σ_n dout[n,o] · inp[n,:]: threads split the outputs o, kCols at a time.
  const int64_t col_groups = (OC + kCols - 1) / kCols;
  parallel_for(col_groups, [&](int64_t g0, int64_t g1) {
    float a[kCols];
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t o0 = g * kCols, no = std::min(kCols, OC - o0);
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t j = 0; j < no; ++j) a[j] = dout[n * OC + o0 + j];
        update_rows(dweight + o0 * C, C, no, a, inp + n * C, C);
      }
      if (dbias) {
        for (int64_t j = 0; j < no; ++j) {
          float s = 0.0f;
          for (int64_t n = 0; n < N; ++n) s += dout[n * OC + o0 + j];
          dbias[o0 + j] += s;
        }
      }
    }
  });
}

}  // namespace tock
