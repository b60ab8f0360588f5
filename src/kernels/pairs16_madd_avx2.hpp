// The integer step of the AVX2 kernels on Pairs16 weight vectors (32-bit lane r = row r's int16
// code pair), the GEMM's (gemm_avx2.cpp) and the packed kernel's (matmul_packed_avx2.cpp): one
// broadcast activation pair against two weight vectors (16 rows). Inline asm for files compiled
// with `#pragma GCC target("avx2,fma,f16c")` (include it after the pragma): g++ 12 spills the
// 12 sums of a 6-row tile to the stack when this is written with intrinsics. Uses ymm14, ymm15.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace tock {
namespace avx2 {

// s0 += w0·a, s1 += w1·a (vpmaddwd, i32 lanes) with a = the pair at q broadcast.
inline void madd_pair(__m256i& s0, __m256i& s1, __m256i w0, __m256i w1, const int16_t* q) {
  asm("vpbroadcastd %[q], %%ymm14\n\t"
      "vpmaddwd %%ymm14, %[w0], %%ymm15\n\t"
      "vpaddd %%ymm15, %[s0], %[s0]\n\t"
      "vpmaddwd %%ymm14, %[w1], %%ymm14\n\t"
      "vpaddd %%ymm14, %[s1], %[s1]"
      : [s0] "+x"(s0), [s1] "+x"(s1)
      : [w0] "x"(w0), [w1] "x"(w1), [q] "m"(*reinterpret_cast<const int32_t*>(q))
      : "xmm14", "xmm15");
}

// s0 = w0·a, s1 = w1·a: a block's first step, which starts the sums rather than adding to zeros
// (15 vpaddd per 16 vpmaddwd: +1-2.5% measured in the GEMM, bound by FP pipe operations).
// s0 is early-clobbered: it is written while w1 is still to be read.
inline void madd_first(__m256i& s0, __m256i& s1, __m256i w0, __m256i w1, const int16_t* q) {
  asm("vpbroadcastd %[q], %%ymm14\n\t"
      "vpmaddwd %%ymm14, %[w0], %[s0]\n\t"
      "vpmaddwd %%ymm14, %[w1], %[s1]"
      : [s0] "=&x"(s0), [s1] "=x"(s1)
      : [w0] "x"(w0), [w1] "x"(w1), [q] "m"(*reinterpret_cast<const int32_t*>(q))
      : "xmm14");
}

}  // namespace avx2
}  // namespace tock
