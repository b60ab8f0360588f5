// Metrics on a synthetic trace whose expected values are worked out by hand below.
#include <gtest/gtest.h>

#include "clock/metrics.hpp"

namespace tock::clock {
namespace {

// Ticks (ms): prefill 0..100 (10 tokens, sampled); decode 100..110, 110..130, 130..160,
// 160..200 (each sampled); decode 200..205 (a forward pass never sampled).
// Ops: "ffn" 50 ms in layer 0 and 30 ms in layer 1 (80 ms); layers: 60 ms and 40 ms.
TraceView synthetic() {
  TraceView v;
  auto tick = [&](int64_t i, const char* phase, double t0_ms, double t1_ms, int64_t tokens, bool moment) {
    TickView t;
    t.index = i; t.phase = phase; t.ts = t0_ms * 1e3; t.dur = (t1_ms - t0_ms) * 1e3;
    t.tokens = tokens; t.has_moment = moment;
    v.ticks.push_back(t);
  };
  tick(0, "prefill", 0, 100, 10, true);
  tick(1, "decode", 100, 110, 1, true);
  tick(2, "decode", 110, 130, 1, true);
  tick(3, "decode", 130, 160, 1, true);
  tick(4, "decode", 160, 200, 1, true);
  tick(5, "decode", 200, 205, 1, false);
  v.spans.push_back({"layer", "layer", 0, 60e3, 0});
  v.spans.push_back({"ffn", "op", 5e3, 50e3, 0});
  v.spans.push_back({"layer", "layer", 60e3, 40e3, 1});
  v.spans.push_back({"ffn", "op", 60e3, 30e3, 1});
  v.spans.push_back({"forward", "forward", 0, 100e3, -1});  // not an op: not in the shares
  return v;
}

TEST(Metrics, ASecondTurnsPrefillOpensNoGapAndTtftIsTheFirstTurns) {
  TraceView v = synthetic();  // turn 1 ends at 205 ms; the user types until 5000 ms
  TickView t;
  t.index = 6; t.phase = "prefill"; t.ts = 5000e3; t.dur = 50e3; t.tokens = 5; t.has_moment = true;
  v.ticks.push_back(t);
  t.index = 7; t.phase = "decode"; t.ts = 5050e3; t.dur = 50e3; t.tokens = 1;
  v.ticks.push_back(t);
  const Metrics m = compute_metrics(v);
  EXPECT_DOUBLE_EQ(m.ttft_ms, 100.0);
  ASSERT_EQ(m.itl_ms.size(), 5u);  // 10, 20, 30, 40, then 50 after the second prefill
  EXPECT_DOUBLE_EQ(m.itl_ms[4], 50.0);
  EXPECT_EQ(m.prefill_tokens, 15);
}

TEST(Metrics, HandWorkedSyntheticTrace) {
  const Metrics m = compute_metrics(synthetic());
  EXPECT_EQ(m.ticks, 6);
  EXPECT_DOUBLE_EQ(m.ttft_ms, 100.0);
  ASSERT_EQ(m.itl_ms.size(), 4u);  // 10, 20, 30, 40
  EXPECT_DOUBLE_EQ(m.itl_ms[3], 40.0);
  EXPECT_DOUBLE_EQ(m.itl_p50, 25.0);   // rank 1.5 of [10,20,30,40]
  EXPECT_DOUBLE_EQ(m.itl_p90, 37.0);   // rank 2.7: 30 + 0.7 * 10
  EXPECT_NEAR(m.itl_p99, 39.7, 1e-9);  // rank 2.97
  EXPECT_EQ(m.prefill_tokens, 10);
  EXPECT_DOUBLE_EQ(m.prefill_ms, 100.0);
  EXPECT_DOUBLE_EQ(m.prefill_tps, 100.0);  // 10 tokens / 0.1 s
  EXPECT_EQ(m.decode_tokens, 4);
  EXPECT_DOUBLE_EQ(m.decode_ms, 100.0);
  EXPECT_DOUBLE_EQ(m.decode_tps, 40.0);    // 4 tokens / 0.1 s
  EXPECT_DOUBLE_EQ(m.tick_ms, 205.0);
  ASSERT_EQ(m.ops.size(), 1u);
  EXPECT_EQ(m.ops[0].name, "ffn");
  EXPECT_DOUBLE_EQ(m.ops[0].ms, 80.0);
  EXPECT_EQ(m.ops[0].count, 2);
  EXPECT_DOUBLE_EQ(m.ops[0].share, 80.0 / 205.0);
  EXPECT_DOUBLE_EQ(m.unattributed_ms, 125.0);
  ASSERT_EQ(m.layer_ms.size(), 2u);
  EXPECT_DOUBLE_EQ(m.layer_ms[0], 60.0);
  EXPECT_DOUBLE_EQ(m.layer_ms[1], 40.0);
}

TEST(Metrics, PercentileInterpolatesBetweenClosestRanks) {
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0.0);
  EXPECT_DOUBLE_EQ(percentile({7}, 99), 7.0);
  EXPECT_DOUBLE_EQ(percentile({3, 1, 2}, 50), 2.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 100), 5.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({0, 10}, 25), 2.5);
}

TEST(Metrics, EmptyTraceGivesZeros) {
  const Metrics m = compute_metrics(TraceView{});
  EXPECT_EQ(m.ticks, 0);
  EXPECT_EQ(m.ttft_ms, 0.0);
  EXPECT_FALSE(format_metrics(m).empty());
}

}  // namespace
}  // namespace tock::clock
