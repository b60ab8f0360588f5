#include "train/lora_linear.hpp"

#include <vector>

#include "core/error.hpp"

namespace tock {

namespace {
void check(const LoraShape& s) {
  if (s.in < 1 || s.out < 1 || s.rank < 1)
    fail("lora: shape in=", s.in, " out=", s.out, " rank=", s.rank, " must be positive");
}
}  // namespace

void lora_forward(float* y, float* xa, const float* x, const float* W, const float* A,
                  const float* B, int64_t N, const LoraShape& s) {
  check(s);
  const float sc = s.scale();
  for (int64_t n = 0; n < N; ++n) {
    const float* xn = x + n * s.in;
    float* an = xa + n * s.rank;
    for (int64_t r = 0; r < s.rank; ++r) {
      float acc = 0.0f;
      for (int64_t i = 0; i < s.in; ++i) acc += A[r * s.in + i] * xn[i];
      an[r] = acc;
    }
    for (int64_t o = 0; o < s.out; ++o) {
      float base = 0.0f, low = 0.0f;
      for (int64_t i = 0; i < s.in; ++i) base += W[o * s.in + i] * xn[i];
      for (int64_t r = 0; r < s.rank; ++r) low += B[o * s.rank + r] * an[r];
      y[n * s.out + o] = base + sc * low;
    }
  }
}

void lora_backward(float* dx, float* dA, float* dB, const float* dy, const float* x,
                   const float* xa, const float* W, const float* A, const float* B, int64_t N,
                   const LoraShape& s) {
  check(s);
  const float sc = s.scale();
  std::vector<float> dxa(static_cast<size_t>(s.rank));
  for (int64_t n = 0; n < N; ++n) {
    const float* g = dy + n * s.out;
    const float* xn = x + n * s.in;
    const float* an = xa + n * s.rank;
    // d(xa) = s·Bᵀ·dy; dB += s·dy·xaᵀ; dA += d(xa)·xᵀ; dx += Wᵀ·dy + Aᵀ·d(xa).
    for (int64_t r = 0; r < s.rank; ++r) {
      float acc = 0.0f;
      for (int64_t o = 0; o < s.out; ++o) acc += B[o * s.rank + r] * g[o];
      dxa[size_t(r)] = sc * acc;
    }
    for (int64_t o = 0; o < s.out; ++o)
      for (int64_t r = 0; r < s.rank; ++r) dB[o * s.rank + r] += sc * g[o] * an[r];
    for (int64_t r = 0; r < s.rank; ++r)
      for (int64_t i = 0; i < s.in; ++i) dA[r * s.in + i] += dxa[size_t(r)] * xn[i];
    if (!dx) continue;
    for (int64_t i = 0; i < s.in; ++i) {
      float acc = 0.0f;
      for (int64_t o = 0; o < s.out; ++o) acc += W[o * s.in + i] * g[o];
      for (int64_t r = 0; r < s.rank; ++r) acc += A[r * s.in + i] * dxa[size_t(r)];
      dx[n * s.in + i] += acc;
    }
  }
}

void lora_merge(float* merged, const float* W, const float* A, const float* B, const LoraShape& s) {
  check(s);
  const float sc = s.scale();
  for (int64_t o = 0; o < s.out; ++o)
    for (int64_t i = 0; i < s.in; ++i) {
      float acc = 0.0f;
      for (int64_t r = 0; r < s.rank; ++r) acc += B[o * s.rank + r] * A[r * s.in + i];
      merged[o * s.in + i] = W[o * s.in + i] + sc * acc;
    }
}

}  // namespace tock
