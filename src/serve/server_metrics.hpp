// The server's counters and latency histograms, rendered in the Prometheus text format
// (https://prometheus.io/docs/instrumenting/exposition_formats/) for GET /metrics.
// The scheduler feeds the latencies from the ticks it runs (time to first token, the gap between a
// sequence's consecutive tokens, the whole request); the HTTP layer counts replies by status.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tock::serve {

// A cumulative histogram with fixed upper bounds (seconds), as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Appends `name_bucket{le=...}`, `name_sum`, `name_count` lines.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // per bucket (not cumulative); last is +Inf
  double sum_ = 0;
  int64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();
  void request(int status);
  void prompt_tokens(int64_t n, int64_t cached);
  void generated_token();
  void ttft(double seconds);
  void inter_token(double seconds);
  void duration(double seconds);
  void cancelled();

  // The gauges are read from the scheduler at scrape time.
  std::string prometheus(int64_t queued, int64_t active, int64_t slots) const;

 private:
  mutable std::mutex m_;
  std::map<int, int64_t> requests_;  // by HTTP status
  int64_t prompt_ = 0, cached_ = 0, generated_ = 0, cancelled_ = 0;
  Histogram ttft_, itl_, duration_;
};

}  // namespace tock::serve
