// Linear layers straight from the weights' stored format: y = x · Wᵀ.
// The fast path quantizes x to 16-bit blocks and uses integer dot products (AVX-512 VNNI,
// AVX2 or scalar, chosen at run time) for quantized W, f32 FMA for F32/F16/BF16 W; threads
// split the N rows of W. For T ≥ 6 rows (16 at AVX2, whose small-T kernel serves up to 15) quantized W goes through a GEMM (gemm.hpp), with AMX
// int8 tiles on CPUs that have them (TOCK_ISA=avx512 or lower turns AMX off). matmul_ref is the plain reference: dequantize each row, f32 dot.
// Not here: attention or any op other than x · Wᵀ.
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/cpu_features.hpp"
#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace tock {

// y (T, N) = x (T, K) · Wᵀ, where W is a weight matrix with ne = {K, N} (N rows of K elements)
// in any supported dtype. x, y are row-major f32. Overwrites y.
void matmul(const TensorView& W, const float* x, float* y, int64_t T);      // fast, threaded, dispatched
void matmul_ref(const TensorView& W, const float* x, float* y, int64_t T);  // plain scalar loops: dequantize
                                                                             // each row (dequantize_row), f32 dot
bool matmul_supported(DType t);

// Several matrices over one x (T, K): outs[i].y (T, N_i) = x · outs[i].Wᵀ, as matmul on each.
// Below the GEMM's row count, x is quantized once and the rows of all matrices are split over
// the threads in one parallel_for (decode's q, k and v: one barrier instead of three).
// At most 8 matrices per call.
struct MatmulOut {
  const TensorView* W;
  float* y;
};
void matmul_many(const MatmulOut* outs, int count, const float* x, int64_t T);

// ya = x · Waᵀ and yb = x · Wbᵀ (Wa, Wb of one shape, N rows), then epilogue(t, n0, n1) for each
// activation row t and output range [n0, n1) once both outputs of the range are written, on the
// thread that wrote them (decode's gate, up and SwiGLU in one parallel_for). Ranges cover [0, N)
// exactly once per t; epilogue must touch only that range of row t.
using RangeEpilogue = void (*)(void* ctx, int64_t t, int64_t n0, int64_t n1);
void matmul_pair_then(const TensorView& Wa, const TensorView& Wb, const float* x, float* ya, float* yb,
                      int64_t T, RangeEpilogue epilogue, void* ctx);
template <typename F>
void matmul_pair_then(const TensorView& Wa, const TensorView& Wb, const float* x, float* ya, float* yb,
                      int64_t T, F&& epilogue) {
  using Fn = std::remove_reference_t<F>;
  matmul_pair_then(Wa, Wb, x, ya, yb, T,
                   [](void* ctx, int64_t t, int64_t n0, int64_t n1) { (*static_cast<Fn*>(ctx))(t, n0, n1); },
                   const_cast<void*>(static_cast<const void*>(&epilogue)));
}

// The fast path at a chosen ISA level (at most detected_isa(), else Error): Isa::Scalar is the
// integer reference for the SIMD kernels. matmul() is matmul_isa(active_isa(), ...).
void matmul_isa(Isa isa, const TensorView& W, const float* x, float* y, int64_t T);

}  // namespace tock
