#include "train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace tock {

float LrSchedule::at(int64_t step) const {
  if (step < warmup) return lr * float(step + 1) / float(warmup);
  if (decay == LrDecay::Constant) return lr;
  const int64_t span = total - 1 - warmup;
  const double p = span <= 0 ? 1.0 : std::clamp(double(step - warmup) / double(span), 0.0, 1.0);
  if (decay == LrDecay::Linear) return float(double(lr) + (double(min_lr) - double(lr)) * p);
  const double c = 0.5 * (1.0 + std::cos(3.14159265358979323846 * p));
  return float(double(min_lr) + (double(lr) - double(min_lr)) * c);
}

LrDecay parse_lr_decay(const std::string& name) {
  if (name == "cosine") return LrDecay::Cosine;
  if (name == "linear") return LrDecay::Linear;
  if (name == "constant") return LrDecay::Constant;
  fail("--schedule: unknown schedule '", name, "' (cosine, linear or constant)");
}

const char* lr_decay_name(LrDecay d) {
  switch (d) {
    case LrDecay::Cosine: return "cosine";
    case LrDecay::Linear: return "linear";
    case LrDecay::Constant: return "constant";
  }
  return "?";
}

}  // namespace tock
