// LR schedule values worked by hand (lr 1, min_lr 0.1, 10 warmup steps, 111 steps: the decay
// spans steps 10..110, so step 60 is halfway and step 35 a quarter of the way).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "train/lr_schedule.hpp"

namespace tock {
namespace {

LrSchedule make(LrDecay d) { return LrSchedule{1.0f, 0.1f, 10, 111, d}; }

TEST(LrSchedule, WarmupRisesLinearlyFromOneWarmupStepToPeak) {
  const LrSchedule s = make(LrDecay::Cosine);
  EXPECT_FLOAT_EQ(s.at(0), 0.1f);
  EXPECT_FLOAT_EQ(s.at(4), 0.5f);
  EXPECT_FLOAT_EQ(s.at(9), 1.0f);
}

TEST(LrSchedule, CosineHalfwayIsMeanOfPeakAndFloor) {
  const LrSchedule s = make(LrDecay::Cosine);
  EXPECT_FLOAT_EQ(s.at(10), 1.0f);
  EXPECT_FLOAT_EQ(s.at(60), 0.55f);
  EXPECT_NEAR(s.at(35), 0.1 + 0.9 * (1 + 0.70710678118654752) / 2, 1e-6);  // cos(π/4)
  EXPECT_FLOAT_EQ(s.at(110), 0.1f);
  EXPECT_FLOAT_EQ(s.at(500), 0.1f);  // past the end (a resumed run with more steps)
}

TEST(LrSchedule, LinearAndConstant) {
  const LrSchedule lin = make(LrDecay::Linear);
  EXPECT_FLOAT_EQ(lin.at(35), 0.775f);
  EXPECT_FLOAT_EQ(lin.at(60), 0.55f);
  EXPECT_FLOAT_EQ(lin.at(110), 0.1f);
  const LrSchedule cst = make(LrDecay::Constant);
  EXPECT_FLOAT_EQ(cst.at(3), 0.4f);
  EXPECT_FLOAT_EQ(cst.at(110), 1.0f);
}

TEST(LrSchedule, NoWarmupStartsAtPeakAndOneStepRunIsDefined) {
  EXPECT_FLOAT_EQ((LrSchedule{2.0f, 0.0f, 0, 5, LrDecay::Cosine}.at(0)), 2.0f);
  EXPECT_FLOAT_EQ((LrSchedule{2.0f, 0.0f, 0, 5, LrDecay::Cosine}.at(4)), 0.0f);
  EXPECT_FLOAT_EQ((LrSchedule{2.0f, 0.5f, 0, 1, LrDecay::Cosine}.at(0)), 0.5f);
}

TEST(LrSchedule, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_lr_decay("cosine"), LrDecay::Cosine);
  EXPECT_EQ(parse_lr_decay("linear"), LrDecay::Linear);
  EXPECT_EQ(parse_lr_decay("constant"), LrDecay::Constant);
  EXPECT_THROW(parse_lr_decay("step"), Error);
}

}  // namespace
}  // namespace tock
