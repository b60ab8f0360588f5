// Row pieces of a softmax, shared by the training kernels (cross-entropy, attention): the max
// of a row and exp(x − shift) with its sum. AVX2 (a Cephes vector exp, ~1 ulp) where the CPU
// has it, else libm; single-threaded (callers split rows over threads).
#pragma once
#include <cstdint>

namespace tock {

// max_i x[i]; n >= 1.
float row_max(const float* x, int64_t n);
// out[i] = exp(in[i] − shift) for shift >= max in (so exp's argument is <= 0); returns Σ out[i].
// out may be in.
float exp_shift_sum(float* out, const float* in, int64_t n, float shift);

// The AVX2 versions (exp_rows_avx2.cpp); call only where the CPU has AVX2 and FMA.
float row_max_avx2(const float* x, int64_t n);
float exp_shift_sum_avx2(float* out, const float* in, int64_t n, float shift);

}  // namespace tock
