// The machine's f32 FMA peak, measured: independent FMA chains in vector registers at the
// active ISA's width (AVX-512, AVX2, or SSE multiply+add for scalar), one chain set per thread.
// The denominator of MFU (model FLOP utilisation) in training reports. Not here: memory
// bandwidth, frequency under a real workload (this probe is the best case).
#pragma once

namespace tock {

// GFLOP/s (1 FMA = 2 FLOP) of `threads` threads running FMA loops at once, best of 3 runs of
// ~50 ms each. threads < 1 is an Error.
double measure_peak_gflops(int threads);

}  // namespace tock
