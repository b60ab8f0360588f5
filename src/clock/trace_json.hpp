// The Chrome trace-event JSON format (the "JSON Object Format" of the Trace Event Format doc,
// read by Perfetto and chrome://tracing) for a recorded Trace, and its reading back.
//   {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}
// Events: "M" process/thread names; "X" complete events (ts, dur in µs) for ticks (cat "tick",
// args: index, phase, tokens, kv_len, kv_bytes, moment), forward passes, layers and ops (args:
// layer); "C" counters (KV cache, probability, entropy); "i" instants for attention weights.
// Events are sorted by ts (a parent before the children that start with it).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clock/trace.hpp"

namespace tock::clock {

// other: free-form run description stored as "otherData" (model, prompt, sampler, ...).
nlohmann::json to_chrome_json(const Trace& trace, const nlohmann::json& other = nlohmann::json::object());

// Writes the JSON atomically (temp file, fsync, rename). Invalid UTF-8 in token texts is
// replaced by U+FFFD.
void write_json_file(const std::string& path, const nlohmann::json& j);
nlohmann::json read_json_file(const std::string& path);

// The parts of a Chrome trace the metrics and the report use, checked on the way in.
struct TickView {
  int64_t index = 0;
  std::string phase;
  double ts = 0, dur = 0;  // µs
  int64_t tokens = 0, kv_len = 0, kv_bytes = 0;
  bool has_moment = false;
  nlohmann::json args;     // everything the tick carried (moment, inputs)
};
struct SpanView {
  std::string name, cat;
  double ts = 0, dur = 0;  // µs
  int64_t layer = -1;
};
struct TraceView {
  std::vector<TickView> ticks;  // by index
  std::vector<SpanView> spans;  // "X" events other than ticks
  std::vector<nlohmann::json> attention;  // args of "attention" instants
  nlohmann::json other = nlohmann::json::object();
};

// Throws tock::Error naming the event and field when the JSON is not a trace Tock can read.
TraceView parse_trace(const nlohmann::json& j);

}  // namespace tock::clock
