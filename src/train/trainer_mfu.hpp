// Model FLOPs utilisation for the progress line (as llm.c prints it): achieved training
// FLOP/s over the machine's peak f32 FLOP/s. The peak is measured here with a plain FMA loop
// (register-resident, no memory traffic) on every thread of the pool, once per process —
// a stand-in to swap for the kernels' own probe when it exists.
#pragma once

namespace tock {

// Peak f32 FLOP/s of the thread pool's threads (all of them together), measured on first call.
double peak_flops();

}  // namespace tock
