#include "kernels/gemm.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/gemm_panel.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

// One thread's decoded panels, reused between chunks and calls (no allocation once grown).
struct PanelBuffers {
  std::vector<int16_t> codes;
  std::vector<float> d, m;
};
thread_local PanelBuffers t_panel;

// Decoded panel codes per chunk: well inside a 512 KiB L2 with the activation tile beside it.
constexpr size_t kChunkBytes = 192 * 1024;
constexpr int kMaxChunk = 64;  // panels per chunk at most (K = 32 would allow 192)
constexpr int kMaxMats = 8;    // matrices per gemm_many call (matmul_many's limit)

bool has_min(DType t) {
  return t == DType::Q4_1 || t == DType::Q5_1 || t == DType::Q4_K || t == DType::Q5_K;
}

// One quantized weight matrix and its output.
struct QMat {
  DType type = DType::F32;
  const uint8_t* w = nullptr;
  const uint8_t* packed = nullptr;  // W's rows8 form (TensorView::packed), or nullptr
  size_t row_bytes = 0;
  int64_t N = 0;
  GemmQFn fn = nullptr;
  float* y = nullptr;
};

// What every panel of one call shares: the kernel, the quantized activations, the sizes.
struct QCall {
  GemmKernel k;
  bool avx2_pack = false;  // the AVX2 decoder for 16-row panels (the AVX-512 path keeps pack_q_panel)
  const BlockQ16_32* act = nullptr;
  int64_t T = 0, K = 0, nb = 0;
  size_t panel_codes = 0, panel_scales = 0;
  int64_t chunk = 1;  // panels decoded per pass of the activations
};

// Panel p (rows p·R ..) of a matrix.
struct PanelRef {
  const QMat* mat;
  int64_t p;
};

QMat q_mat(const GemmKernel& k, const TensorView& W, float* y) {
  const GemmQFn fn = has_min(W.type) ? k.q_min : k.q;
  return {W.type, static_cast<const uint8_t*>(W.data), static_cast<const uint8_t*>(W.packed), W.row_bytes(),
          W.ne[1], fn, y};
}

// Quantizes x (on the pool) for the call's matrices, all of K columns.
QCall q_call(const GemmKernel& k, Isa isa, const float* x, int64_t T, int64_t K) {
  QCall c;
  c.k = k;
  c.avx2_pack = isa == Isa::Avx2 && k.R == 16;
  c.T = T;
  c.K = K;
  c.nb = K / 32;
  c.panel_codes = size_t(c.nb) * 32 * size_t(k.R);
  c.panel_scales = size_t(c.nb) * size_t(k.R);
  c.chunk = std::clamp<int64_t>(int64_t(kChunkBytes / (c.panel_codes * sizeof(int16_t))), 1, kMaxChunk);
  c.act = quantize_rows_q16_32(x, T, K);
  return c;
}

int64_t panels(const QCall& c, int64_t N) { return (N + c.k.R - 1) / c.k.R; }

// Panels go in chunks of about kChunkBytes of codes (kept in L2): each chunk is decoded once,
// then every tile of activation rows (kept in L1) passes over all of its panels, so the
// activations are read from L3 once per chunk rather than once per panel. The order of the
// micro-kernel calls changes nothing in what each computes.
void run_chunk(const QCall& c, const PanelRef* refs, int n) {
  PanelBuffers& buf = t_panel;
  const int R = c.k.R;
  if (buf.codes.size() < c.panel_codes * size_t(n)) buf.codes.resize(c.panel_codes * size_t(n));
  if (buf.d.size() < c.panel_scales * size_t(n)) {
    buf.d.resize(c.panel_scales * size_t(n));
    buf.m.resize(c.panel_scales * size_t(n));
  }
  int rows[kMaxChunk];
  for (int i = 0; i < n; ++i) {
    const QMat& q = *refs[i].mat;
    const int64_t n0 = refs[i].p * R;
    rows[i] = int(std::min<int64_t>(R, q.N - n0));
    int16_t* codes = buf.codes.data() + size_t(i) * c.panel_codes;
    float* d = buf.d.data() + size_t(i) * c.panel_scales;
    float* m = buf.m.data() + size_t(i) * c.panel_scales;
    // From the rows8 form where W has one (a plain widening, and the stored rows stay untouched,
    // so their pages can be released), else from the stored rows.
    if (c.avx2_pack && q.packed && pack_q_panel16_rows8_avx2(q.type, q.packed, c.K, q.N, n0, codes, d, m)) continue;
    const uint8_t* wp = q.w + size_t(n0) * q.row_bytes;
    if (!(c.avx2_pack && pack_q_panel16_avx2(q.type, wp, q.row_bytes, rows[i], c.K, codes, d, m)))
      pack_q_panel(q.type, wp, q.row_bytes, rows[i], R, c.K, CodeLayout::Pairs16, codes, d, m);
  }
  const BlockQ16_32* xq[kGemmMaxTile];
  for (int64_t t0 = 0, nt = 0; t0 < c.T; t0 += nt) {
    nt = tile_rows(c.k.tile, c.T - t0);  // ≤ tile
    for (int64_t i = 0; i < nt; ++i) xq[i] = c.act + size_t(t0 + i) * size_t(c.nb);
    for (int i = 0; i < n; ++i) {
      const QMat& q = *refs[i].mat;
      q.fn(c.nb, buf.codes.data() + size_t(i) * c.panel_codes, buf.d.data() + size_t(i) * c.panel_scales,
           buf.m.data() + size_t(i) * c.panel_scales, xq, int(nt), q.y + t0 * q.N + refs[i].p * R, q.N, rows[i]);
    }
  }
}

// The matrices' panels, concatenated, in one parallel_for: [first[i], first[i + 1]) are mats[i]'s.
void run_many(const QCall& c, const QMat* mats, int count) {
  int64_t first[kMaxMats + 1] = {0};
  for (int i = 0; i < count; ++i) first[i + 1] = first[i] + panels(c, mats[i].N);
  parallel_for(first[count], [&](int64_t g0, int64_t g1) {
    PanelRef refs[kMaxChunk];
    int i = 0;
    for (int64_t g = g0; g < g1;) {
      int n = 0;
      for (; g < g1 && n < c.chunk; ++g) {
        while (g >= first[i + 1]) ++i;
        refs[n++] = {&mats[i], g - first[i]};
      }
      run_chunk(c, refs, n);
    }
  });
}

// The shared-activation kernel at this level, if any (its R and tile are what gemm uses there).
bool shared_kernel(Isa isa, GemmKernel& k) {
  if (isa != Isa::Avx2) return false;  // the AVX-512 / AMX levels keep one gemm per matrix
  k = gemm_kernel_avx2();
  return true;
}

}  // namespace

bool gemm(Isa isa, const TensorView& W, const float* x, float* y, int64_t T) {
  if (isa == Isa::Scalar) return false;
  if (isa == Isa::Avx2 && gemm_float_avx2(W, x, y, T)) return true;  // F16, BF16, F32
  if (!gemm_q_type(W.type)) return false;
  if (isa == Isa::Avx512 && amx_active() && gemm_amx(W, x, y, T)) return true;
  const GemmKernel k = isa == Isa::Avx512 ? gemm_kernel_avx512() : gemm_kernel_avx2();
  const QMat mat = q_mat(k, W, y);
  if (!mat.fn) return false;
  run_many(q_call(k, isa, x, T, W.ne[0]), &mat, 1);
  return true;
}

bool gemm_many(Isa isa, const MatmulOut* outs, int count, const float* x, int64_t T) {
  if (isa == Isa::Avx2 && gemm_half_many_avx2(outs, count, x, T, nullptr, nullptr)) return true;
  GemmKernel k;
  if (count < 1 || count > kMaxMats || !shared_kernel(isa, k)) return false;
  const int64_t K = outs[0].W->ne[0];
  QMat mats[kMaxMats];
  for (int i = 0; i < count; ++i) {
    const TensorView& W = *outs[i].W;
    if (!gemm_q_type(W.type) || W.ne[0] != K) return false;
    mats[i] = q_mat(k, W, outs[i].y);
    if (!mats[i].fn) return false;
  }
  run_many(q_call(k, isa, x, T, K), mats, count);
  return true;
}

bool gemm_pair_then(Isa isa, const TensorView& Wa, const TensorView& Wb, const float* x, float* ya,
                    float* yb, int64_t T, RangeEpilogue epilogue, void* ctx) {
  if (isa == Isa::Avx2) {
    const MatmulOut outs[2] = {{&Wa, ya}, {&Wb, yb}};
    if (gemm_half_many_avx2(outs, 2, x, T, epilogue, ctx)) return true;
  }
  GemmKernel k;
  if (!shared_kernel(isa, k) || !gemm_q_type(Wa.type) || !gemm_q_type(Wb.type)) return false;
  if (Wa.ne[0] != Wb.ne[0] || Wa.ne[1] != Wb.ne[1]) return false;
  const QMat mats[2] = {q_mat(k, Wa, ya), q_mat(k, Wb, yb)};
  if (!mats[0].fn || !mats[1].fn) return false;
  const QCall c = q_call(k, isa, x, T, Wa.ne[0]);
  const int64_t N = Wa.ne[1], R = k.R;
  const int64_t units = std::max<int64_t>(1, c.chunk / 2);  // a unit: panel p of both matrices
  parallel_for(panels(c, N), [&](int64_t p0, int64_t p1) {
    PanelRef refs[kMaxChunk];
    for (int64_t u0 = p0; u0 < p1; u0 += units) {
      const int64_t u1 = std::min(u0 + units, p1);
      int n = 0;
      for (int64_t p = u0; p < u1; ++p) {
        refs[n++] = {&mats[0], p};
        refs[n++] = {&mats[1], p};
      }
      run_chunk(c, refs, n);
      const int64_t n0 = u0 * R, n1 = std::min(u1 * R, N);
      for (int64_t t = 0; t < T; ++t) epilogue(ctx, t, n0, n1);
    }
  });
  return true;
}

}  // namespace tock
