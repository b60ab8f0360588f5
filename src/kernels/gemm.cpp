#include "kernels/gemm.hpp"

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

bool has_min(DType t) {
  return t == DType::Q4_1 || t == DType::Q5_1 || t == DType::Q4_K || t == DType::Q5_K;
}

}  // namespace

bool gemm(Isa isa, const TensorView& W, const float* x, float* y, int64_t T) {
  if (isa == Isa::Scalar) return false;
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

  parallel_for((N + R - 1) / R, [&](int64_t p0, int64_t p1) {
    PanelBuffers& buf = t_panel;
    if (buf.codes.size() < size_t(nb) * 32 * size_t(R)) buf.codes.resize(size_t(nb) * 32 * size_t(R));
    if (buf.d.size() < size_t(nb * R)) {
      buf.d.resize(size_t(nb * R));
      buf.m.resize(size_t(nb * R));
    }
    const BlockQ16_32* xq[kGemmMaxTile];
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * R;
      const int rows = int(N - n0 < R ? N - n0 : R);
      pack_q_panel(W.type, w + size_t(n0) * row_bytes, row_bytes, rows, R, K, CodeLayout::Pairs16,
                   buf.codes.data(), buf.d.data(), buf.m.data());
      for (int64_t t0 = 0; t0 < T; t0 += k.tile) {
        const int nt = int(T - t0 < k.tile ? T - t0 : k.tile);
        for (int i = 0; i < nt; ++i) xq[i] = act + size_t(t0 + i) * size_t(nb);
        qfn(nb, buf.codes.data(), buf.d.data(), buf.m.data(), xq, nt, y + t0 * N + n0, N, rows);
      }
    }
  });
  return true;
}

}  // namespace tock
