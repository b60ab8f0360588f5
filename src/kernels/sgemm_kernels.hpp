// The micro-kernels behind sgemm (one per ISA level, each in its own translation unit compiled
// for that ISA): a (mr, nr) tile of C updated from packed panels. Internal to src/kernels.
#pragma once
#include <cstdint>

namespace tock {

// a: packed (kc, mr), the mr values of one k together; b: packed (kc, nr) likewise.
// c: the (mr, nr) tile, row stride ldc. load_c: start from c (else from 0), then for each k
// in order c[i][j] += a[k][i]·b[k][j] (fused where the ISA has FMA); store to c.
using SgemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c,
                                  int64_t ldc, bool load_c);

// Packs one full strip by transposing it: `rows` rows of a row-major block (row stride ld),
// kc deep, to dst[k][r] = src[r·ld + k] (rows = mr for A, nr for B). Writes exactly kc·rows
// floats. Pure data movement, so a fast one gives the same bits as the generic loop.
using SgemmTransposeFn = void (*)(float* dst, const float* src, int64_t ld, int64_t kc);

struct SgemmKernel {
  int64_t mr = 0, nr = 0;
  SgemmMicroKernel fn = nullptr;
  // Optional fast packers for full strips (null: sgemm.cpp's generic loops): op(A) = A with
  // rows of A (mr rows), op(B) = Bᵀ with rows of B (nr rows): the two packs that transpose.
  SgemmTransposeFn pack_a_rows = nullptr, pack_b_rows = nullptr;
};

SgemmKernel sgemm_kernel_scalar();
SgemmKernel sgemm_kernel_avx2();
SgemmKernel sgemm_kernel_avx512();

// The AVX2 strip transposes behind sgemm_kernel_avx2 (6 and 16 rows), and the plain loop they
// must equal (tests).
void sgemm_transpose6_avx2(float* dst, const float* src, int64_t ld, int64_t kc);
void sgemm_transpose16_avx2(float* dst, const float* src, int64_t ld, int64_t kc);
void sgemm_transpose_ref(float* dst, const float* src, int64_t ld, int64_t kc, int64_t rows);

}  // namespace tock
