// The clock's flags on the commands that generate text: --trace FILE, --metrics, --tick,
// --trace-attention. start() before generating, finish() after; both do nothing when no flag
// asked for the clock (the hooks then cost one branch each).
#pragma once
#include <string>

#include "runtime/sampler.hpp"

namespace CLI {
class App;
}

namespace tock::cli {

struct ClockFlags {
  std::string trace_path;  // --trace FILE: Chrome trace-event JSON
  bool metrics = false;    // --metrics: TTFT, inter-token latency, speeds, time per op
  bool tick = false;       // --tick: one line per tick on stderr as it happens
  std::string attention;  // --trace-attention[=LAYERS]: per-head attention weights per tick;
                          // "all" (the bare flag) or layers like "0,15,29" or "20-29"

  void add_to(CLI::App& cmd);
  bool active() const { return !trace_path.empty() || metrics || tick || !attention.empty(); }
  void start() const;
  // Stops recording; writes the trace and prints the metrics as asked. The run's description
  // (command, model, prompt, sampling) goes into the trace's otherData.
  void finish(const std::string& command, const std::string& model, const std::string& prompt,
              const SamplerParams& sampling) const;
};

}  // namespace tock::cli
