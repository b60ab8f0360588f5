// The prefill GEMM for float weights (F16, BF16, F32) on AVX2: y (T, N) = x (T, K) · Wᵀ with
// the f32 sgemm's 6×16 micro-kernel (sgemm_avx2.cpp). F16 and BF16: x is packed once per call
// into 6-row strips (shared by all threads); each thread converts its weight panels of 16 rows
// (F16C vcvtph2ps; BF16 is a shift) straight into the kernel's packed layout, a few panels at a
// time (kept in L2), and runs every strip of x over them. Packing x once, not once per chunk of
// weight rows as a call of the sgemm per chunk did, is what makes this pay at T = 512 and a
// 576-wide K (the x pack was 4× the weight conversion). F32 weights take the threaded sgemm.
// K goes in blocks of at most kKcMax (C reloaded between blocks); which thread owns a panel
// never changes a sum's order, so threaded results are bitwise the single-threaded ones.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/sgemm.hpp"
#include "kernels/sgemm_kernels.hpp"

namespace tock {
namespace {

// Below this many activation rows the packing of x and W costs more than the row kernels'
// re-reading of W.
constexpr int64_t kMinRows = 64;  // bench_matmul --gemm 1, F16/BF16/F32: even at 32-64, 1.5-2.4x at 512
// K block. Whole K up to 2048: a strip of x then overflows L1 at K = 1536 (36 KiB), but the
// blocks' reloads of C cost more (bench_matmul F16 1536x576 T=512, 1 thread, best CPU ms of 3:
// 11.7 whole vs 12.7-13.0 in blocks of 512).
constexpr int64_t kKcMax = 2048;
constexpr size_t kChunkBytes = 160 * 1024;  // converted weight panels per pass of x: in L2

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

// x (T, K) packed once per call: strip s (rows 6s..6s+5, zero past T) is xp[s·6·K ..] as [k][6],
// so its K block [k0, k0 + kc) starts at k0·6. Owned by the calling thread (as the quantized
// activations of the integer GEMM), read by all.
thread_local std::vector<float> t_xpack;
// One thread's converted weight panels and conversion scratch (no allocation once grown).
thread_local std::vector<float> t_wpack, t_rows;

// One F16/BF16 weight matrix and its output.
struct FloatMat {
  DType type;
  const uint8_t* w;
  size_t row_bytes;
  int64_t N;
  float* y;
};

// What every panel of one call shares: the kernel, x packed, the sizes.
struct FloatCall {
  SgemmKernel kern;
  int64_t T, K, kc, strips, chunk;  // chunk: panels converted per pass of x
  const float* xp;
};

// Rows [n0, n0 + 16) of W, K block [k0, k0 + kc), as one packed B panel [k][16] (zero rows past N).
void pack_panel(const FloatCall& c, const FloatMat& m, int64_t n0, int64_t k0, int64_t kc, float* dst) {
  const int64_t nr = c.kern.nr, rows = std::min(nr, m.N - n0);
  if (t_rows.size() < size_t(nr * kc)) t_rows.resize(size_t(nr * kc));
  float* tmp = t_rows.data();
  to_f32(m.type, m.w + size_t(n0) * m.row_bytes + size_t(k0) * 2, m.row_bytes, rows, kc, tmp);
  if (rows < nr) std::memset(tmp + rows * kc, 0, size_t((nr - rows) * kc) * sizeof(float));
  c.kern.pack_b_rows(dst, tmp, kc, kc);
}

// Panels [p0, p1) of one matrix (16 rows each) against every strip of x, K block by K block.
void run_panels(const FloatCall& c, const FloatMat& m, int64_t p0, int64_t p1) {
  const int64_t mr = c.kern.mr, nr = c.kern.nr, np = p1 - p0;
  if (t_wpack.size() < size_t(np * nr * c.kc)) t_wpack.resize(size_t(np * nr * c.kc));
  alignas(64) float edge[6 * 16];
  for (int64_t k0 = 0; k0 < c.K; k0 += c.kc) {
    const int64_t kc = std::min(c.kc, c.K - k0);
    for (int64_t i = 0; i < np; ++i) pack_panel(c, m, (p0 + i) * nr, k0, kc, t_wpack.data() + i * nr * kc);
    const bool load_c = k0 > 0;
    for (int64_t s = 0; s < c.strips; ++s) {
      const float* a = c.xp + s * mr * c.K + k0 * mr;
      const int64_t t0 = s * mr, rows = std::min(mr, c.T - t0);
      for (int64_t i = 0; i < np; ++i) {
        const int64_t n0 = (p0 + i) * nr, cols = std::min(nr, m.N - n0);
        const float* b = t_wpack.data() + i * nr * kc;
        float* out = m.y + t0 * m.N + n0;
        if (load_c) {  // the next tile's C rows, fetched while this one computes (as sgemm's macro_tile)
          const bool right = i + 1 < np;
          const float* cn = right ? out + nr : m.y + (t0 + mr) * m.N + p0 * nr;
          const int64_t rn = right ? rows : std::min(mr, c.T - t0 - mr);
          for (int64_t r = 0; r < rn; ++r) {
            __builtin_prefetch(cn + r * m.N, 1);
            __builtin_prefetch(cn + r * m.N + nr - 1, 1);
          }
        }
        if (rows == mr && cols == nr) {
          c.kern.fn(kc, a, b, out, m.N, load_c);
          continue;
        }
        // A partial tile: the same kernel on a full-size copy, so the same arithmetic.
        if (load_c)
          for (int64_t r = 0; r < rows; ++r) std::memcpy(edge + r * nr, out + r * m.N, size_t(cols) * sizeof(float));
        c.kern.fn(kc, a, b, edge, nr, load_c);
        for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * m.N, edge + r * nr, size_t(cols) * sizeof(float));
      }
    }
  }
}

// x (T, K) -> t_xpack strips (on the pool).
const float* pack_x(const SgemmKernel& kern, const float* x, int64_t T, int64_t K, int64_t strips) {
  const int64_t mr = kern.mr;
  if (t_xpack.size() < size_t(strips * mr * K)) t_xpack.resize(size_t(strips * mr * K));
  float* xp = t_xpack.data();
  parallel_for(strips, [&](int64_t s0, int64_t s1) {
    std::vector<float> padded;  // the last, partial strip only
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t t0 = s * mr, rows = std::min(mr, T - t0);
      const float* src = x + t0 * K;
      if (rows < mr) {
        padded.assign(size_t(mr * K), 0.0f);
        std::memcpy(padded.data(), src, size_t(rows * K) * sizeof(float));
        src = padded.data();
      }
      kern.pack_a_rows(xp + s * mr * K, src, K, K);
    }
  });
  return xp;
}

FloatCall float_call(const float* x, int64_t T, int64_t K) {
  FloatCall c;
  c.kern = sgemm_kernel_avx2();
  c.T = T;
  c.K = K;
  const int64_t blocks = (K + kKcMax - 1) / kKcMax;
  c.kc = ((K + blocks - 1) / blocks + 7) / 8 * 8;  // equal blocks, whole 8-wide transposes
  c.strips = (T + c.kern.mr - 1) / c.kern.mr;
  const int64_t panel_bytes = c.kern.nr * c.kc * int64_t(sizeof(float));
  c.chunk = std::max<int64_t>(1, int64_t(kChunkBytes) / panel_bytes);
  c.xp = pack_x(c.kern, x, T, K, c.strips);
  return c;
}

int64_t panels(const FloatCall& c, int64_t N) { return (N + c.kern.nr - 1) / c.kern.nr; }

bool half_type(DType t) { return t == DType::F16 || t == DType::BF16; }

}  // namespace

bool gemm_float_avx2(const TensorView& W, const float* x, float* y, int64_t T) {
  if (!half_type(W.type) && W.type != DType::F32) return false;
  if (T < kMinRows) return false;
  if (W.type == DType::F32) {  // already f32: one threaded sgemm straight on W
    const int64_t K = W.ne[0], N = W.ne[1];
    sgemm_isa({Op::NoTrans, Op::Trans, T, N, K, x, K, static_cast<const float*>(W.data), K, y, N, false},
              Isa::Avx2, true);
    return true;
  }
  const MatmulOut out{&W, y};
  return gemm_half_many_avx2(&out, 1, x, T, nullptr, nullptr);
}

bool gemm_half_many_avx2(const MatmulOut* outs, int count, const float* x, int64_t T, RangeEpilogue epilogue,
                         void* ctx) {
  constexpr int kMaxMats = 8;
  if (T < kMinRows || count < 1 || count > kMaxMats || (epilogue && count != 2)) return false;
  const int64_t K = outs[0].W->ne[0];
  FloatMat mats[kMaxMats];
  for (int i = 0; i < count; ++i) {
    const TensorView& W = *outs[i].W;
    if (!half_type(W.type) || W.ne[0] != K || (epilogue && W.ne[1] != outs[0].W->ne[1])) return false;
    mats[i] = {W.type, static_cast<const uint8_t*>(W.data), W.row_bytes(), W.ne[1], outs[i].y};
  }
  const FloatCall c = float_call(x, T, K);
  if (epilogue) {  // a unit is panel p of both matrices; the epilogue follows each chunk of units
    const int64_t N = mats[0].N, units = std::max<int64_t>(1, c.chunk / 2);
    parallel_for(panels(c, N), [&](int64_t p0, int64_t p1) {
      for (int64_t u0 = p0; u0 < p1; u0 += units) {
        const int64_t u1 = std::min(u0 + units, p1);
        run_panels(c, mats[0], u0, u1);
        run_panels(c, mats[1], u0, u1);
        const int64_t n0 = u0 * c.kern.nr, n1 = std::min(u1 * c.kern.nr, N);
        for (int64_t t = 0; t < T; ++t) epilogue(ctx, t, n0, n1);
      }
    });
    return true;
  }
  // The matrices' panels concatenated: [first[i], first[i + 1]) are mats[i]'s.
  int64_t first[kMaxMats + 1] = {0};
  for (int i = 0; i < count; ++i) first[i + 1] = first[i] + panels(c, mats[i].N);
  parallel_for(first[count], [&](int64_t g0, int64_t g1) {
    for (int i = 0; i < count; ++i) {
      const int64_t a = std::max(g0, first[i]), b = std::min(g1, first[i + 1]);
      for (int64_t q = a; q < b; q += c.chunk)
        run_panels(c, mats[i], q - first[i], std::min(q + c.chunk, b) - first[i]);
    }
  });
  return true;
}

}  // namespace tock
