// The sink: nothing recorded when off; spans nested in their tick; a valid Chrome trace.
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "clock/report.hpp"
#include "clock/trace.hpp"
#include "clock/trace_json.hpp"

namespace tock::clock {
namespace {

struct FakeTok {
  std::string piece(int32_t id) const {
    std::string s = "t";  // append, not operator+ (g++ 12 -O3 false -Wrestrict)
    s += std::to_string(id);
    return s;
  }
};

void fake_forward(int layers) {
  Lap fwd("forward", "forward");
  fwd.mark("embed");
  for (int l = 0; l < layers; ++l) {
    Lap lap("layer", "layer", l);
    lap.mark("attn_norm");
    if (float* w = attention_slot(l, 2, 3))
      for (int i = 0; i < 6; ++i) w[i] = float(i) / 6;
    lap.mark("attention");
  }
  fwd.skip();
  fwd.mark("output");
}

TEST(Trace, RecordsNothingWhenOff) {
  (void)stop();
  EXPECT_FALSE(enabled());
  begin_tick(Phase::decode, 1, 0);
  fake_forward(2);
  { Span s("sample"); }
  moment(std::vector<float>{1, 2}, 1, std::vector<IdProb>{}, FakeTok{});
  end_tick(1, 8);
  EXPECT_EQ(attention_slot(0, 2, 3), nullptr);
  const Trace t = stop();
  EXPECT_TRUE(t.spans.empty());
  EXPECT_TRUE(t.ticks.empty());
}

Trace record_run(bool attention, std::vector<int32_t> layers = {}) {
  start({.attention = attention, .attention_layers = std::move(layers)});
  begin_tick(Phase::prefill, 3, 0);
  input_tokens(std::vector<int32_t>{5, 6, 7}, FakeTok{});
  fake_forward(2);
  {
    Span s("sample");
  }
  moment(std::vector<float>{0, 1, 2, 3}, 3, std::vector<IdProb>{{3, 1.0f}}, FakeTok{});
  end_tick(3, 3 * 64);
  for (int i = 0; i < 3; ++i) {
    begin_tick(Phase::decode, 1, 3 + i);
    fake_forward(2);
    moment(std::vector<float>{0, 1, 2, 3}, 2, std::vector<IdProb>{{3, 0.6f}, {2, 0.4f}}, FakeTok{});
    end_tick(4 + i, (4 + i) * 64);
  }
  begin_tick(Phase::decode, 1, 6);  // a forward never sampled: closed by stop()
  fake_forward(2);
  return stop();
}

TEST(Trace, TicksCarryMomentsAndSpansNestInsideThem) {
  const Trace t = record_run(false);
  ASSERT_EQ(t.ticks.size(), 5u);
  EXPECT_EQ(t.ticks[0].phase, Phase::prefill);
  EXPECT_EQ(t.ticks[0].input_texts, (std::vector<std::string>{"t5", "t6", "t7"}));
  EXPECT_TRUE(t.ticks[0].has_moment);
  EXPECT_EQ(t.ticks[0].moment.text, "t3");
  EXPECT_EQ(t.ticks[1].moment.final_top.size(), 2u);
  EXPECT_FALSE(t.ticks[4].has_moment);
  EXPECT_EQ(t.ticks[3].kv_len, 6);
  for (const SpanRecord& s : t.spans) {
    bool inside = false;
    for (const TickRecord& k : t.ticks) inside |= s.t0_ns >= k.t0_ns && s.t1_ns <= k.t1_ns;
    EXPECT_TRUE(inside) << s.name;
  }
  EXPECT_TRUE(t.attention.empty());
}

TEST(Trace, AttentionWeightsAreRecordedPerLayerWhenAsked) {
  const Trace t = record_run(true);
  ASSERT_EQ(t.attention.size(), 10u);  // 5 ticks x 2 layers
  EXPECT_EQ(t.attention[1].layer, 1);
  EXPECT_EQ(t.attention[1].n_head, 2);
  EXPECT_FLOAT_EQ(t.attention[1].w[5], 5.0f / 6);
}

TEST(Trace, AttentionOfOnlyTheChosenLayers) {
  const Trace t = record_run(true, {1});
  ASSERT_EQ(t.attention.size(), 5u);  // 5 ticks x layer 1
  for (const AttentionRecord& a : t.attention) EXPECT_EQ(a.layer, 1);
}

// The Chrome trace-event format: required fields, sorted timestamps, "X" children inside parents.
TEST(TraceJson, IsAValidChromeTraceWithNestedCompleteEvents) {
  const nlohmann::json j = to_chrome_json(record_run(true), {{"command", "test"}});
  ASSERT_TRUE(j.contains("traceEvents"));
  double last_ts = -1;
  std::vector<std::pair<double, double>> stack;  // open "X" intervals on the one thread
  for (const auto& e : j["traceEvents"]) {
    for (const char* k : {"name", "ph", "pid", "tid"}) ASSERT_TRUE(e.contains(k)) << e.dump();
    const std::string ph = e["ph"];
    if (ph == "M") continue;
    ASSERT_TRUE(e.contains("ts"));
    const double ts = e["ts"];
    EXPECT_GE(ts, last_ts);
    last_ts = ts;
    if (ph != "X") continue;
    const double end = ts + e["dur"].get<double>();
    constexpr double eps = 1e-6;  // µs with ns resolution: allow the sum's rounding
    while (!stack.empty() && ts >= stack.back().second - eps) stack.pop_back();
    if (!stack.empty()) {
      EXPECT_LE(end, stack.back().second + eps) << e.dump();
    }
    stack.push_back({ts, end});
  }
  const TraceView v = parse_trace(j);
  EXPECT_EQ(v.ticks.size(), 5u);
  EXPECT_EQ(v.attention.size(), 10u);
  EXPECT_EQ(v.other["command"], "test");
}

TEST(TraceJson, AttentionWeightsAreWrittenWithFourSignificantDigits) {
  const nlohmann::json j = to_chrome_json(record_run(true), {});
  for (const auto& e : j["traceEvents"]) {
    if (e.value("cat", "") != "attention") continue;
    // Recorded i/6: 0, 1/6, ..., 5/6 -> 0, 0.1667, 0.3333, 0.5, 0.6667, 0.8333 exactly as text.
    EXPECT_EQ(e["args"]["weights"].dump(), "[[0.0,0.1667,0.3333],[0.5,0.6667,0.8333]]");
    return;
  }
  FAIL() << "no attention event";
}

TEST(TraceJson, ParseRejectsAnObjectWithoutEvents) {
  EXPECT_ANY_THROW(parse_trace(nlohmann::json::object()));
  EXPECT_ANY_THROW(parse_trace(nlohmann::json{{"traceEvents", {{{"ph", "X"}}}}}));
}

TEST(Report, PageCarriesTheDataAndNoOutsideResource) {
  const nlohmann::json j = to_chrome_json(record_run(true), {{"prompt", "</script><b>"}});
  const std::string html = render_report(j);
  EXPECT_NE(html.find("\"ticks\""), std::string::npos);
  EXPECT_EQ(html.find("/*TOCK_REPORT_DATA*/"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);  // escaped inside the data
}

}  // namespace
}  // namespace tock::clock
