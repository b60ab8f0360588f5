// The fast matmul driver. From gemm_min_rows activation rows on (prefill), the GEMM path
// (gemm.hpp: weight panels decoded once per call, register-blocked AVX2 / AVX-512 VNNI
// micro-kernels, AMX int8 tiles where the CPU and kernel allow) takes the quantized types it
// knows. Otherwise (decode, float weights, Q6_K): quantize the activation rows once (if the
// kernel asks for it), then split the N weight rows over the thread pool. A thread's range goes
// to the packed kernel where W has its rows8 form (TensorView::packed, bound by the model at the
// AVX2 level: matmul_packed_avx2.cpp), else to the small-T kernel where the ISA level has one for
// the type (AVX2: the 32-block formats; matmul_small_avx2.cpp). Otherwise, inside a thread's
// range, weight rows go in chunks of kRowChunk; each chunk meets every tile of kMaxRows
// activation rows of a block of kRowBlock rows while both are in L1.
// matmul_many / matmul_pair do the same for several matrices over one x in one parallel_for:
// decode issues one barrier for q, k, v and one for gate, up and their SwiGLU instead of five.
#include "kernels/matmul.hpp"

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matmul_check.hpp"
#include "kernels/matmul_kernels.hpp"
#include "kernels/matmul_kquant.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

constexpr int64_t kRowChunk = 16;  // weight rows kept in L1 while the T tiles pass over them
constexpr int64_t kRowBlock = 16;  // activation rows kept in L1 while a thread's weight rows pass
// From this many activation rows on, the GEMM (gemm.hpp). AVX2: 16, the small-T kernel being as
// fast or faster up to 15 rows (Q4_1 576x1536 and 1536x576, 2 threads, bench_matmul vs --gemm 1).
// Other levels keep 6 (AVX-512's row kernels against its GEMM and AMX tiles, measured on a Xeon).
constexpr int64_t kGemmMinRows = 6;
constexpr int64_t kGemmMinRowsAvx2 = 16;
int64_t gemm_min_rows(Isa isa) { return isa == Isa::Avx2 ? kGemmMinRowsAvx2 : kGemmMinRows; }

RowKernel row_kernel(DType t, Isa isa) {
  if (isa != Isa::Scalar) {  // K-quants: matmul_kquant_*.cpp
    if (const RowKernel k = row_kernel_kquant_avx2(t); k.dot) return k;
  }
  switch (isa) {
    case Isa::Avx512: return row_kernel_avx512(t);
    case Isa::Avx2: return row_kernel_avx2(t);
    case Isa::Scalar: break;
  }
  return row_kernel_scalar(t);
}

// Bytes of one activation row in format f.
size_t act_row_bytes(ActFormat f, int64_t K) {
  return f == ActFormat::Q16_32 ? size_t(K / 32) * sizeof(BlockQ16_32) : size_t(K) * sizeof(float);
}

// x (T, K) f32 -> T rows of format f; returns the first row (x itself for F32).
const uint8_t* prepare_activations(ActFormat f, const float* x, int64_t T, int64_t K) {
  if (f == ActFormat::F32) return reinterpret_cast<const uint8_t*>(x);
  return reinterpret_cast<const uint8_t*>(quantize_rows_q16_32(x, T, K));
}

// One matrix's kernel, checked, with its activation rows (shared between matrices of one call).
struct RowJob {
  RowKernel kernel;
  SmallTFn small = nullptr;  // the small-T kernel, where this ISA level has one for the type
  PackedFn packed = nullptr;  // the rows8 kernel, where W has its packed form (AVX2 only)
  const TensorView* W = nullptr;
  float* y = nullptr;
  int64_t K = 0, N = 0;
};

RowJob row_job(Isa isa, const TensorView& W, float* y, int64_t T) {
  const MatmulShape s = check_matmul(W, T, "matmul");
  if (int(isa) > int(detected_isa()))
    fail("matmul: ISA level ", isa_name(isa), " is not available on this CPU (best: ",
         isa_name(detected_isa()), ")");
  const RowKernel kernel = row_kernel(W.type, isa);
  if (!kernel.dot) fail("matmul: weight '", W.name, "' has unsupported type ", dtype_name(W.type));
  // AVX-512's row kernels stay as they are (not measurable here); AVX2 has small-T kernels.
  const SmallTFn small = isa == Isa::Avx2 ? small_t_kernel_avx2(W.type) : nullptr;
  const PackedFn packed = isa == Isa::Avx2 && W.packed ? packed_kernel_avx2(W.type) : nullptr;
  return {kernel, small, packed, &W, y, s.K, s.N};
}

// Rows n0..n1 of y (T, N) = act (T rows of act_row bytes) · Wᵀ: weight rows in chunks of
// kRowChunk, each meeting every tile of kMaxRows activation rows of a kRowBlock block.
void rows_range(const RowJob& j, const uint8_t* act, size_t act_row, int64_t T, int64_t n0, int64_t n1) {
  // The rows8 layout: the small-T kernel's bits (and the GEMM's), at any T, from one stream per
  // 8 rows and with no panel to build.
  if (j.packed) return j.packed(j.K, static_cast<const uint8_t*>(j.W->packed), n0, n1, act, T, j.y, j.N);
  const size_t w_row = j.W->row_bytes();
  const auto* w = static_cast<const uint8_t*>(j.W->data);
  // The small-T kernel from T = 1 on: as fast as the row kernels there (Q4_1 576x768, 1 thread:
  // best 0.029 ms vs 0.033), and an output's bits then do not depend on T (nor on the GEMM's).
  if (j.small) {
    for (int64_t t0 = 0; t0 < T; t0 += kSmallMaxT)
      j.small(j.K, w, w_row, n0, n1, act + size_t(t0) * act_row, T - t0 < kSmallMaxT ? T - t0 : kSmallMaxT,
              j.y + t0 * j.N, j.N);
    return;
  }
  float out[kMaxRows];
  const void* rows[kMaxRows];
  for (int64_t b0 = 0; b0 < T; b0 += kRowBlock) {
    const int64_t b1 = b0 + kRowBlock < T ? b0 + kRowBlock : T;
    for (int64_t c0 = n0; c0 < n1; c0 += kRowChunk) {
      const int64_t c1 = c0 + kRowChunk < n1 ? c0 + kRowChunk : n1;
      for (int64_t t0 = b0; t0 < b1; t0 += kMaxRows) {
        const int nt = int(b1 - t0 < kMaxRows ? b1 - t0 : kMaxRows);
        for (int i = 0; i < nt; ++i) rows[i] = act + size_t(t0 + i) * act_row;
        for (int64_t n = c0; n < c1; ++n) {
          j.kernel.dot(j.K, w + size_t(n) * w_row, rows, nt, out);
          for (int i = 0; i < nt; ++i) j.y[(t0 + i) * j.N + n] = out[i];
        }
      }
    }
  }
}

// True when the jobs can share one quantized x and one parallel_for: the row path (T below the
// GEMM's), one K and one activation format.
bool can_share(Isa isa, const RowJob* jobs, size_t count, int64_t T) {
  if (T >= gemm_min_rows(isa)) return false;
  for (size_t i = 1; i < count; ++i)
    if (jobs[i].K != jobs[0].K || jobs[i].kernel.act != jobs[0].kernel.act) return false;
  return true;
}

// x in the jobs' (shared) activation format, once for all of them.
struct SharedActivations {
  const uint8_t* rows;
  size_t row_bytes;
};
SharedActivations share_activations(const RowJob& first, const float* x, int64_t T) {
  return {prepare_activations(first.kernel.act, x, T, first.K), act_row_bytes(first.kernel.act, first.K)};
}

constexpr int kMaxMany = 8;  // matmul_many's jobs live on the stack

}  // namespace

bool matmul_supported(DType t) { return row_kernel_scalar(t).dot != nullptr; }

void matmul_isa(Isa isa, const TensorView& W, const float* x, float* y, int64_t T) {
  const RowJob j = row_job(isa, W, y, T);
  if (T == 0) return;
  if (T >= gemm_min_rows(isa) && gemm(isa, W, x, y, T)) return;
  const uint8_t* act = prepare_activations(j.kernel.act, x, T, j.K);
  const size_t act_row = act_row_bytes(j.kernel.act, j.K);
  parallel_for(j.N, [&](int64_t n0, int64_t n1) { rows_range(j, act, act_row, T, n0, n1); }, kRowChunk);
}

void matmul(const TensorView& W, const float* x, float* y, int64_t T) {
  matmul_isa(active_isa(), W, x, y, T);
}

void matmul_many(const MatmulOut* outs, int count, const float* x, int64_t T) {
  if (count > kMaxMany) fail("matmul_many: ", count, " matrices; at most ", kMaxMany);
  const Isa isa = active_isa();
  RowJob jobs[kMaxMany];
  for (int i = 0; i < count; ++i) jobs[i] = row_job(isa, *outs[i].W, outs[i].y, T);
  if (T == 0 || count == 0) return;
  if (!can_share(isa, jobs, size_t(count), T)) {
    if (T >= gemm_min_rows(isa) && gemm_many(isa, outs, count, x, T)) return;  // x quantized once
    for (int i = 0; i < count; ++i) matmul_isa(isa, *outs[i].W, x, outs[i].y, T);
    return;
  }
  const SharedActivations act = share_activations(jobs[0], x, T);
  int64_t total = 0;
  for (int i = 0; i < count; ++i) total += jobs[i].N;
  // Row r of the concatenation is row r - (rows of the matrices before it) of its matrix.
  parallel_for(total, [&](int64_t r0, int64_t r1) {
    int64_t base = 0;
    for (int i = 0; i < count; ++i) {
      const RowJob& j = jobs[i];
      const int64_t n0 = r0 > base ? r0 - base : 0, n1 = r1 - base < j.N ? r1 - base : j.N;
      if (n0 < n1) rows_range(j, act.rows, act.row_bytes, T, n0, n1);
      base += j.N;
    }
  }, kRowChunk);
}

void matmul_pair_then(const TensorView& Wa, const TensorView& Wb, const float* x, float* ya, float* yb,
                      int64_t T, RangeEpilogue epilogue, void* ctx) {
  const Isa isa = active_isa();
  const RowJob jobs[2] = {row_job(isa, Wa, ya, T), row_job(isa, Wb, yb, T)};
  if (jobs[0].N != jobs[1].N)
    fail("matmul: '", Wa.name, "' has ", jobs[0].N, " rows but '", Wb.name, "' has ", jobs[1].N,
         "; a pair needs the same output size");
  const int64_t N = jobs[0].N;
  if (T == 0) return;
  if (!can_share(isa, jobs, 2, T)) {
    if (T >= gemm_min_rows(isa) && gemm_pair_then(isa, Wa, Wb, x, ya, yb, T, epilogue, ctx)) return;
    matmul_isa(isa, Wa, x, ya, T);
    matmul_isa(isa, Wb, x, yb, T);
    for (int64_t t = 0; t < T; ++t) epilogue(ctx, t, 0, N);
    return;
  }
  const SharedActivations act = share_activations(jobs[0], x, T);
  parallel_for(N, [&](int64_t n0, int64_t n1) {
    rows_range(jobs[0], act.rows, act.row_bytes, T, n0, n1);
    rows_range(jobs[1], act.rows, act.row_bytes, T, n0, n1);
    for (int64_t t = 0; t < T; ++t) epilogue(ctx, t, n0, n1);
  }, kRowChunk);
}

}  // namespace tock
