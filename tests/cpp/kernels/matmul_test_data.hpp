// Test data for the matmul tests (test_matmul.cpp, test_gemm.cpp): random valid weights of
// every type, random activations, the activation round trip the quantized kernels apply, and
// the error measures their tolerances are written in (see test_matmul.cpp's header).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"
#include "core/float16.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "kernels/matmul.hpp"
#include "kernels/dequant.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {

// Random but valid weight bytes: random quants, sane f16 scales (and mins) in their fields.
inline std::vector<uint8_t> random_weights(DType t, int64_t K, int64_t N, std::mt19937& rng) {
  const size_t bytes = row_bytes(t, K) * size_t(N);
  std::vector<uint8_t> w(bytes);
  std::uniform_real_distribution<float> val(-1.0f, 1.0f), scale(0.002f, 0.02f);
  auto put16 = [&](size_t off, uint16_t h) { std::memcpy(&w[off], &h, 2); };
  if (t == DType::F32 || t == DType::F16 || t == DType::BF16) {
    for (int64_t i = 0; i < K * N; ++i) {
      const float v = val(rng);
      if (t == DType::F32) std::memcpy(&w[size_t(i) * 4], &v, 4);
      if (t == DType::F16) put16(size_t(i) * 2, f32_to_f16(v));
      if (t == DType::BF16) put16(size_t(i) * 2, f32_to_bf16(v));
    }
    return w;
  }
  for (auto& b : w) b = uint8_t(rng());
  const DTypeInfo& info = dtype_info(t);
  for (size_t off = 0; off < bytes; off += info.block_bytes) {
    switch (t) {
      case DType::Q4_1: case DType::Q5_1:  // d, then a min m (negative, like real weights)
        put16(off, f32_to_f16(scale(rng)));
        put16(off + 2, f32_to_f16(-8.0f * scale(rng)));
        break;
      case DType::Q4_K: case DType::Q5_K:  // d, dmin (6-bit scales multiply these)
        put16(off, f32_to_f16(scale(rng) / 32));
        put16(off + 2, f32_to_f16(scale(rng) / 32));
        break;
      case DType::Q6_K:  // d is the last field
        put16(off + info.block_bytes - 2, f32_to_f16(scale(rng) / 64));
        break;
      default:  // Q4_0, Q5_0, Q8_0: d first
        put16(off, f32_to_f16(scale(rng)));
        break;
    }
  }
  return w;
}

inline std::vector<float> random_x(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> val(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = val(rng);
  return x;
}

inline TensorView view(DType t, int64_t K, int64_t N, const std::vector<uint8_t>& w) {
  // Aggregate init: assigning the name afterwards trips g++ 12's -Wrestrict false positive.
  return TensorView{std::string("w"), t, 2, {K, N, 1, 1}, w.data(), w.size()};
}

inline double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float f : v) m = std::max(m, double(std::fabs(f)));
  return m;
}

inline double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}


// x (T, K) after the activation quantization the kernel for type t applies (x for floats).
inline std::vector<float> round_trip(DType t, const std::vector<float>& x, int64_t K) {
  std::vector<float> out(x.size());
  const int64_t T = int64_t(x.size()) / K;
  for (int64_t r = 0; r < T; ++r) {
    const float* xr = x.data() + r * K;
    float* o = out.data() + r * K;
    if (t == DType::F32 || t == DType::F16 || t == DType::BF16) {
      std::copy(xr, xr + K, o);
    } else {
      std::vector<BlockQ16_32> b(static_cast<size_t>(K / 32));
      quantize_row_q16_32(xr, b.data(), K);
      for (int64_t k = 0; k < K; ++k) o[k] = b[size_t(k / 32)].d * b[size_t(k / 32)].qs[k % 32];
    }
  }
  return out;
}

// Per output (t, n): Σ_k |w̃_nk · x_tk|, the scale f32 rounding errors are measured against.
inline std::vector<double> abs_scale(const TensorView& W, const std::vector<float>& x, int64_t T) {
  const int64_t K = W.ne[0], N = W.ne[1];
  std::vector<double> s(static_cast<size_t>(T * N));
  std::vector<float> w(static_cast<size_t>(K));
  for (int64_t n = 0; n < N; ++n) {
    dequantize_row(W.type, W.row(n), w.data(), K);
    for (int64_t t = 0; t < T; ++t) {
      double a = 0;
      for (int64_t k = 0; k < K; ++k) a += std::fabs(double(w[size_t(k)]) * x[size_t(t * K + k)]);
      s[size_t(t * N + n)] = a;
    }
  }
  return s;
}

// max over outputs of |a − b| / scale (scale floored so an all-zero output cannot divide by 0).
inline double max_rel(const std::vector<float>& a, const std::vector<float>& b, const std::vector<double>& scale) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::fabs(double(a[i]) - b[i]) / std::max(scale[i], 1e-30));
  return m;
}

inline bool is_float_type(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

inline std::vector<Isa> isas_here() {
  std::vector<Isa> v;
  for (int i = 0; i <= int(detected_isa()); ++i) v.push_back(Isa(i));
  return v;
}

// matmul() on 1 and on 3 threads gives the same bytes (random W, x of the given shape).
inline void expect_threaded_equals_single_threaded(DType type, int64_t K, int64_t N, int64_t T, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto w = random_weights(type, K, N, rng);
  const auto x = random_x(T * K, rng);
  const TensorView W = view(type, K, N, w);
  const int before = thread_count();
  std::vector<float> one(size_t(T * N)), three(size_t(T * N));
  set_thread_count(1);
  matmul(W, x.data(), one.data(), T);
  set_thread_count(3);
  matmul(W, x.data(), three.data(), T);
  set_thread_count(before);
  EXPECT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * sizeof(float)));
}

// Every quant byte set to fill (0x00, 0xFF, 0x80, 0x7F: the largest codes, and Q6_K's scale
// −128), with valid f16 scales; x = +1 on even rows and −1 on odd ones, so |q_x| = 32767 and
// the products of an output share a sign. The integer partial sums are then at their largest;
// any i32 wrap (or a lost bit in AMX's byte split of q_x) would show, at every ISA level here.
inline void expect_extreme_codes_match_reference(DType type, int64_t K, int64_t N, int64_t T) {
  std::mt19937 rng(5);
  for (int fill : {0x00, 0xFF, 0x80, 0x7F}) {
    auto w = random_weights(type, K, N, rng);
    const auto fields = random_weights(type, K, N, rng);  // same layout: copy back only the f16 fields
    std::memset(w.data(), fill, w.size());
    const DTypeInfo& info = dtype_info(type);
    const bool has_two = type == DType::Q4_1 || type == DType::Q5_1 || type == DType::Q4_K || type == DType::Q5_K;
    const size_t at = type == DType::Q6_K ? info.block_bytes - 2 : 0;
    for (size_t off = 0; off < w.size(); off += info.block_bytes)
      std::memcpy(&w[off + at], &fields[off + at], has_two ? 4 : 2);
    std::vector<float> x(size_t(T * K));
    for (int64_t i = 0; i < T * K; ++i) x[size_t(i)] = (i / K) % 2 ? -1.0f : 1.0f;
    SCOPED_TRACE(::testing::Message() << dtype_name(type) << " fill=" << fill << " T=" << T);
    const TensorView W = view(type, K, N, w);
    const auto xq = round_trip(type, x, K);
    const auto scale = abs_scale(W, xq, T);
    std::vector<float> ref_q(size_t(T * N));
    matmul_ref(W, xq.data(), ref_q.data(), T);
    for (Isa isa : isas_here()) {
      std::vector<float> fast(size_t(T * N), NAN);
      matmul_isa(isa, W, x.data(), fast.data(), T);
      EXPECT_LE(max_rel(fast, ref_q, scale), 1e-5) << isa_name(isa) << " vs matmul_ref on round-tripped x";
    }
  }
}

}  // namespace tock
