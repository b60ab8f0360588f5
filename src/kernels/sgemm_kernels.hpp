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

struct SgemmKernel {
  int64_t mr = 0, nr = 0;
  SgemmMicroKernel fn = nullptr;
};

SgemmKernel sgemm_kernel_scalar();
SgemmKernel sgemm_kernel_avx2();
SgemmKernel sgemm_kernel_avx512();

}  // namespace tock
