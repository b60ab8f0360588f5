// f32 GEMM for training: C (M, N) (+)= op(A) · op(B), op = identity or transpose, all
// row-major with leading dimensions. GotoBLAS layout: K in blocks of kSgemmKc, A and B packed
// into micro-panels, a register-blocked micro-kernel per ISA (AVX2+FMA 6×16, AVX-512 8×32,
// scalar), threads over output tiles. Each C element is summed in one fixed order (K blocks in
// order, each block's products in order) whatever the thread count, so threaded results are
// bitwise the single-threaded ones. Not here: alpha/beta scaling, other dtypes, BLAS.
#pragma once
#include <cstdint>

#include "core/cpu_features.hpp"

namespace tock {

// How A or B is read: NoTrans: X(r, c) = X[r·ld + c]; Trans: X(r, c) = X[c·ld + r].
enum class Op : bool { NoTrans = false, Trans = true };

// The depth of one K block: part of the summation order, so fixed (not tuned per shape).
inline constexpr int64_t kSgemmKc = 256;

struct SgemmArgs {
  Op op_a = Op::NoTrans, op_b = Op::NoTrans;
  int64_t M = 0, N = 0, K = 0;
  const float* A = nullptr;  // op(A) is (M, K)
  int64_t lda = 0;
  const float* B = nullptr;  // op(B) is (K, N)
  int64_t ldb = 0;
  float* C = nullptr;  // (M, N)
  int64_t ldc = 0;
  bool accumulate = false;  // true: C += op(A)·op(B); false: C = op(A)·op(B)
};

// On the thread pool (inline when called from inside a parallel_for), at active_isa().
void sgemm(const SgemmArgs& g);
// The same with the fields as arguments, in SgemmArgs' order.
void sgemm(Op op_a, Op op_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate);
// At a given ISA level (tests; falls back to a lower level the CPU lacks), single-threaded or on
// the pool.
void sgemm_isa(const SgemmArgs& g, Isa isa, bool threaded);
// The plain triple loop: each C element starts at C (or 0) and adds its products in K order.
void sgemm_ref(const SgemmArgs& g);

}  // namespace tock
