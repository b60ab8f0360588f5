// Where the time went, from a trace: time to first token, inter-token latency percentiles,
// prefill and decode speeds, the share of time per op and per layer.
// Definitions (all from the trace's ticks and spans, durations in ms):
//   TTFT     = end of the first tick that yielded a token - start of the first tick
//   ITL      = gaps between the ends of consecutive token-yielding ticks; pN is the linear
//              interpolation between closest ranks (numpy.percentile's default)
//   prefill  = prompt tokens / summed duration of prefill ticks
//   decode   = token-yielding decode ticks / their summed duration
//   op share = summed duration of spans with cat "op" (or "clock") of that name / summed tick time
#pragma once
#include <string>
#include <vector>

#include "clock/trace_json.hpp"

namespace tock::clock {

struct OpTime {
  std::string name;
  double ms = 0;
  double share = 0;  // of the summed tick time
  int64_t count = 0;
};

struct Metrics {
  int64_t ticks = 0;
  double ttft_ms = 0;
  std::vector<double> itl_ms;  // one per decode token
  double itl_p50 = 0, itl_p90 = 0, itl_p99 = 0;
  int64_t prefill_tokens = 0, decode_tokens = 0;
  double prefill_ms = 0, decode_ms = 0;
  double prefill_tps = 0, decode_tps = 0;
  double tick_ms = 0;              // summed duration of every tick
  std::vector<OpTime> ops;         // biggest first
  double unattributed_ms = 0;      // tick time outside every op span
  std::vector<double> layer_ms;    // summed "layer" span time per layer index
};

// p in [0, 100]; linear interpolation between closest ranks. Empty: 0.
double percentile(std::vector<double> values, double p);

Metrics compute_metrics(const TraceView& trace);

// The summary `tock run --metrics` prints.
std::string format_metrics(const Metrics& m);

nlohmann::json metrics_json(const Metrics& m);

}  // namespace tock::clock
