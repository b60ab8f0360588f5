// The prefill GEMM for float weights (F16, BF16, F32) on AVX2: y (T, N) = x (T, K) · Wᵀ as
// the packed f32 sgemm (sgemm.hpp), W converted to f32 a chunk of rows at a time (F16C
// vcvtph2ps; BF16 is a shift). The row kernels (one FMA chain per weight row and tile of 4
// activation rows) re-read every weight 1/4 as often as T; the sgemm reuses each packed
// weight across all T rows from L1/L2. Chunks are fixed-size and each is one single-threaded
// sgemm call over the whole K, so the result does not depend on the thread count.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/sgemm.hpp"

namespace tock {
namespace {

// Weight rows per sgemm call: each call packs all T activation rows again, so a chunk must be
// long enough to pay for that; 128 rows split the model's N (192 to 49152) evenly enough.
constexpr int64_t kChunkRows = 128;
// Below this many activation rows the sgemm's packing of W costs more than the row kernels'
// re-reading of it.
constexpr int64_t kMinRows = 64;  // bench_matmul --gemm 1, F16/BF16/F32: even at 32-64, 1.5-2.4x at 512

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
// rows × K elements of F16 or BF16 (rows of row_bytes) -> f32, row-major (rows, K).
void to_f32(DType t, const uint8_t* w, size_t row_bytes, int64_t rows, int64_t K, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const auto* h = reinterpret_cast<const uint16_t*>(w + size_t(r) * row_bytes);
    float* o = out + r * K;
    int64_t k = 0;
    if (t == DType::F16) {
      for (; k + 8 <= K; k += 8)
        _mm256_storeu_ps(o + k, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + k))));
      for (; k < K; ++k) o[k] = f16_to_f32(h[k]);
    } else {
      for (; k + 8 <= K; k += 8) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + k)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + k), _mm256_slli_epi32(v, 16));
      }
      for (; k < K; ++k) o[k] = bf16_to_f32(h[k]);
    }
  }
}
#pragma GCC pop_options

thread_local std::vector<float> t_rows;  // one thread's converted chunk (no allocation once grown)

}  // namespace

bool gemm_float_avx2(const TensorView& W, const float* x, float* y, int64_t T) {
  if (W.type != DType::F16 && W.type != DType::BF16 && W.type != DType::F32) return false;
  if (T < kMinRows) return false;
  const int64_t K = W.ne[0], N = W.ne[1];
  if (W.type == DType::F32) {  // already f32: one threaded sgemm straight on W
    sgemm_isa({Op::NoTrans, Op::Trans, T, N, K, x, K, static_cast<const float*>(W.data), K, y, N, false},
              Isa::Avx2, true);
    return true;
  }
  const int64_t chunk = kChunkRows;
  const size_t row_bytes = W.row_bytes();
  const auto* w = static_cast<const uint8_t*>(W.data);
  parallel_for((N + chunk - 1) / chunk, [&](int64_t c0, int64_t c1) {
    if (t_rows.size() < size_t(chunk * K)) t_rows.resize(size_t(chunk * K));
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t n0 = c * chunk, rows = std::min(chunk, N - n0);
      to_f32(W.type, w + size_t(n0) * row_bytes, row_bytes, rows, K, t_rows.data());
      sgemm_isa({Op::NoTrans, Op::Trans, T, rows, K, x, K, t_rows.data(), K, y + n0, N, false}, Isa::Avx2, false);
    }
  });
  return true;
}

}  // namespace tock
