// The learning rate at each optimizer step: linear warmup from 0, then cosine, linear or
// constant decay to min_lr at the last step (nanoGPT's get_lr, with a choice of decay shape).
// A pure function of the step, so a resumed run needs no schedule state.
#pragma once
#include <cstdint>
#include <string>

namespace tock {

enum class LrDecay { Cosine, Linear, Constant };

struct LrSchedule {
  float lr = 6e-4f;      // peak, reached at the end of warmup
  float min_lr = 0.0f;   // reached at the last step (not for Constant)
  int64_t warmup = 0;    // steps of linear warmup
  int64_t total = 1;     // steps in the run
  LrDecay decay = LrDecay::Cosine;

  // step counts from 0. Warmup: lr·(step+1)/warmup for step < warmup (never 0, as nanoGPT).
  // Then with p = (step − warmup)/(total − 1 − warmup) in [0, 1]:
  //   cosine: min_lr + (lr − min_lr)·(1 + cos(π·p))/2;  linear: lr + (min_lr − lr)·p;
  //   constant: lr.
  float at(int64_t step) const;
};

// "cosine", "linear" or "constant"; Error naming the value otherwise.
LrDecay parse_lr_decay(const std::string& name);
const char* lr_decay_name(LrDecay d);

}  // namespace tock
