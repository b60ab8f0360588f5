// K-quant matmul (Q4_K, Q5_K, Q6_K) at every SIMD level this CPU has, on random blocks and odd
// shapes (N not a multiple of the thread chunk, T = 1..5 so every activation tile size 1..4 and a
// partial tile occur), against two references:
//  - the scalar integer kernels (matmul_isa(Isa::Scalar)): same integers, another f32 summation
//    order, so |Δ| ≤ 1e-5 · Σ|w̃·x̃| per output (w̃ the dequantized weight, x̃ the activation after
//    its 16-bit round trip; Σ|w̃·x̃| bounds f32 rounding under cancellation);
//  - matmul_ref(W, x̃): ggml's dequantization and a plain f32 dot, the same bound;
// and extreme codes (every code at its largest magnitude, |x| = amax, all products of one sign)
// which must not wrap any i32 partial sum.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/block_formats.hpp"
#include "core/cpu_features.hpp"
#include "core/float16.hpp"
#include "core/tensor.hpp"
#include "kernels/dequant.hpp"
#include "kernels/matmul.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

size_t block_bytes(DType t) {
  switch (t) {
    case DType::Q4_K: return sizeof(BlockQ4_K);
    case DType::Q5_K: return sizeof(BlockQ5_K);
    default: return sizeof(BlockQ6_K);
  }
}

// Random code bytes; the f16 scale fields set to sane values (random bits could be inf/NaN).
// extreme: all code bits set (largest codes), scales at their largest.
std::vector<uint8_t> weights(DType t, int64_t K, int64_t N, std::mt19937& rng, bool extreme) {
  const size_t bb = block_bytes(t), nb = size_t(K / QK_K * N);
  std::vector<uint8_t> w(nb * bb);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.001f, 0.02f);
  for (auto& b : w) b = extreme ? 0xFF : uint8_t(byte(rng));
  for (size_t i = 0; i < nb; ++i) {
    uint8_t* blk = w.data() + i * bb;
    const uint16_t d = f32_to_f16(scale(rng)), dmin = f32_to_f16(extreme ? 0.0f : scale(rng));
    if (t == DType::Q6_K) {
      auto* q = reinterpret_cast<BlockQ6_K*>(blk);
      q->d = d;
      if (extreme) {  // codes 63 - 32 = 31... the largest magnitude is code 0: −32
        std::memset(q->ql, 0, sizeof(q->ql));
        std::memset(q->qh, 0, sizeof(q->qh));
        for (auto& s : q->scales) s = -128;
      }
    } else {
      std::memcpy(blk, &d, 2);
      std::memcpy(blk + 2, &dmin, 2);
    }
  }
  return w;
}

TensorView view(DType t, const std::vector<uint8_t>& w, int64_t K, int64_t N) {
  TensorView v;
  v.name = "test.weight";
  v.type = t;
  v.n_dims = 2;
  v.ne[0] = K;
  v.ne[1] = N;
  v.data = w.data();
  v.nbytes = w.size();
  return v;
}

// x after its 16-bit round trip (what the integer kernels multiply).
std::vector<float> round_trip(const std::vector<float>& x, int64_t K) {
  std::vector<float> out(x.size());
  std::vector<BlockQ16_32> q(static_cast<size_t>(K / 32));
  for (size_t r = 0; r < x.size() / size_t(K); ++r) {
    quantize_row_q16_32(x.data() + r * size_t(K), q.data(), K);
    for (int64_t b = 0; b < K / 32; ++b)
      for (int i = 0; i < 32; ++i) out[r * size_t(K) + size_t(b * 32 + i)] = q[size_t(b)].d * float(q[size_t(b)].qs[i]);
  }
  return out;
}

void check(DType t, int64_t K, int64_t N, int64_t T, bool extreme, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<uint8_t> w = weights(t, K, N, rng, extreme);
  const TensorView W = view(t, w, K, N);
  std::vector<float> x(static_cast<size_t>(T * K));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& v : x) v = extreme ? 1.0f : u(rng);
  const std::vector<float> xt = round_trip(x, K);
  // Σ|w̃·x̃| per output, from the dequantized rows.
  std::vector<float> wd(static_cast<size_t>(K)), bound(static_cast<size_t>(T * N));
  for (int64_t n = 0; n < N; ++n) {
    dequantize_row(t, W.row(n), wd.data(), K);
    for (int64_t r = 0; r < T; ++r) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += std::fabs(double(wd[size_t(k)]) * xt[size_t(r * K + k)]);
      bound[size_t(r * N + n)] = float(1e-5 * s) + 1e-30f;
    }
  }
  std::vector<float> scalar(static_cast<size_t>(T * N)), ref(scalar.size());
  matmul_isa(Isa::Scalar, W, x.data(), scalar.data(), T);
  matmul_ref(W, xt.data(), ref.data(), T);
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (int(isa) > int(detected_isa())) continue;
    std::vector<float> got(scalar.size(), NAN);
    matmul_isa(isa, W, x.data(), got.data(), T);
    int bad = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (!(std::fabs(got[i] - scalar[i]) <= bound[i]) || !(std::fabs(got[i] - ref[i]) <= bound[i])) {
        if (++bad <= 3)
          ADD_FAILURE() << dtype_name(t) << " " << isa_name(isa) << " K=" << K << " N=" << N << " T=" << T
                        << " out " << i << ": got " << got[i] << " scalar " << scalar[i] << " ref " << ref[i]
                        << " bound " << bound[i];
      }
    }
  }
}

TEST(KQuantMatmul, MatchesScalarAndDequantizedReferenceOnRandomBlocks) {
  uint32_t seed = 1;
  for (DType t : {DType::Q4_K, DType::Q5_K, DType::Q6_K})
    for (int64_t K : {256, 768})
      for (int64_t T : {1, 2, 3, 4, 5}) check(t, K, 37, T, false, seed++);
}

TEST(KQuantMatmul, LargeShapeThreaded) {
  for (DType t : {DType::Q4_K, DType::Q5_K, DType::Q6_K}) check(t, 1536, 203, 1, false, 100);
}

TEST(KQuantMatmul, ExtremeCodesDoNotOverflow) {
  for (DType t : {DType::Q4_K, DType::Q5_K, DType::Q6_K}) check(t, 512, 5, 2, true, 7);
}

}  // namespace
}  // namespace tock
