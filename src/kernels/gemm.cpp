#include "kernels/gemm.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/gemm_panel.hpp"
#include "kernels/quantize_activations.hpp"

namespace tock {
namespace {

// One thread's decoded panel, reused between panels and calls (no allocation once grown).
struct PanelBuffers {
  std::vector<int16_t> codes;
  std::vector<float> d, m;
};
thread_local PanelBuffers t_panel;

// Decoded panel codes per chunk: well inside a 512 KiB L2 with the activation tile beside it.
constexpr size_t kChunkBytes = 192 * 1024;

bool has_min(DType t) {
  return t == DType::Q4_1 || t == DType::Q5_1 || t == DType::Q4_K || t == DType::Q5_K;
}

}  // namespace

bool gemm(Isa isa, const TensorView& W, const float* x, float* y, int64_t T) {
  if (isa == Isa::Scalar) return false;
  if (isa == Isa::Avx2 && gemm_float_avx2(W, x, y, T)) return true;  // F16, BF16, F32
  if (!gemm_q_type(W.type)) return false;
  if (isa == Isa::Avx512 && amx_active() && gemm_amx(W, x, y, T)) return true;
  const GemmKernel k = isa == Isa::Avx512 ? gemm_kernel_avx512() : gemm_kernel_avx2();
  const GemmQFn qfn = has_min(W.type) ? k.q_min : k.q;
  if (!qfn) return false;

  const int64_t K = W.ne[0], N = W.ne[1], nb = K / 32;
  const int R = k.R;
  const BlockQ16_32* act = quantize_rows_q16_32(x, T, K);
  const size_t row_bytes = W.row_bytes();
  const auto* w = static_cast<const uint8_t*>(W.data);
  const bool avx2_pack = isa == Isa::Avx2 && R == 16;  // the AVX-512 path keeps pack_q_panel
  auto rows_of = [&](int64_t p) { return int(N - p * R < R ? N - p * R : R); };

  // Panels go in chunks of about kChunkBytes of codes (kept in L2): each chunk is decoded once,
  // then every tile of activation rows (kept in L1) passes over all of its panels, so the
  // activations are read from L3 once per chunk rather than once per panel. The order of the
  // micro-kernel calls changes nothing in what each computes.
  const size_t panel_codes = size_t(nb) * 32 * size_t(R), panel_scales = size_t(nb * R);
  const int64_t chunk = std::max<int64_t>(1, int64_t(kChunkBytes / (panel_codes * sizeof(int16_t))));
  parallel_for((N + R - 1) / R, [&](int64_t p0, int64_t p1) {
    PanelBuffers& buf = t_panel;
    const size_t n_chunk = size_t(std::min(chunk, p1 - p0));
    if (buf.codes.size() < panel_codes * n_chunk) buf.codes.resize(panel_codes * n_chunk);
    if (buf.d.size() < panel_scales * n_chunk) {
      buf.d.resize(panel_scales * n_chunk);
      buf.m.resize(panel_scales * n_chunk);
    }
    const BlockQ16_32* xq[kGemmMaxTile];
    for (int64_t c0 = p0; c0 < p1; c0 += chunk) {
      const int64_t c1 = std::min(c0 + chunk, p1);
      for (int64_t p = c0; p < c1; ++p) {
        const int64_t n0 = p * R;
        const size_t i = size_t(p - c0);
        int16_t* codes = buf.codes.data() + i * panel_codes;
        float* d = buf.d.data() + i * panel_scales;
        float* m = buf.m.data() + i * panel_scales;
        const uint8_t* wp = w + size_t(n0) * row_bytes;
        if (!(avx2_pack && pack_q_panel16_avx2(W.type, wp, row_bytes, rows_of(p), K, codes, d, m)))
          pack_q_panel(W.type, wp, row_bytes, rows_of(p), R, K, CodeLayout::Pairs16, codes, d, m);
      }
      for (int64_t t0 = 0; t0 < T; t0 += k.tile) {
        const int nt = int(T - t0 < k.tile ? T - t0 : k.tile);
        for (int i = 0; i < nt; ++i) xq[i] = act + size_t(t0 + i) * size_t(nb);
        for (int64_t p = c0; p < c1; ++p) {
          const size_t i = size_t(p - c0);
          qfn(nb, buf.codes.data() + i * panel_codes, buf.d.data() + i * panel_scales,
              buf.m.data() + i * panel_scales, xq, nt, y + t0 * N + p * R, N, rows_of(p));
        }
      }
    }
  });
  return true;
}

}  // namespace tock
