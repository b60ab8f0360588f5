#include "serve/server_metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace tock::serve {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void line(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void gauge(std::string& out, const std::string& name, const std::string& help, const char* type,
           double v) {
  line(out, name, help, type);
  out += name + " " + num(v) + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // first bound >= v
  ++counts_[size_t(it - bounds_.begin())];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  line(out, name, help, "histogram");
  int64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + num(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + num(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

ServerMetrics::ServerMetrics()
    : ttft_({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      itl_({0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28}),
      duration_({0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}) {}

void ServerMetrics::request(int status) { std::lock_guard l(m_); ++requests_[status]; }
void ServerMetrics::prompt_tokens(int64_t n, int64_t cached) {
  std::lock_guard l(m_);
  prompt_ += n;
  cached_ += cached;
}
void ServerMetrics::generated_token() { std::lock_guard l(m_); ++generated_; }
void ServerMetrics::ttft(double s) { std::lock_guard l(m_); ttft_.observe(s); }
void ServerMetrics::inter_token(double s) { std::lock_guard l(m_); itl_.observe(s); }
void ServerMetrics::duration(double s) { std::lock_guard l(m_); duration_.observe(s); }
void ServerMetrics::cancelled() { std::lock_guard l(m_); ++cancelled_; }

std::string ServerMetrics::prometheus(int64_t queued, int64_t active, int64_t slots) const {
  std::lock_guard l(m_);
  std::string out;
  line(out, "tock_requests_total", "HTTP replies by status code", "counter");
  for (const auto& [status, n] : requests_)
    out += "tock_requests_total{status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  gauge(out, "tock_queue_length", "requests waiting for a slot", "gauge", double(queued));
  gauge(out, "tock_active_sequences", "sequences holding a slot", "gauge", double(active));
  gauge(out, "tock_slots", "slots (--parallel)", "gauge", double(slots));
  gauge(out, "tock_prompt_tokens_total", "prompt tokens of admitted requests", "counter", double(prompt_));
  gauge(out, "tock_prompt_tokens_cached_total", "prompt tokens reused from cached KV (shared prefix)",
        "counter", double(cached_));
  gauge(out, "tock_generated_tokens_total", "tokens sampled", "counter", double(generated_));
  gauge(out, "tock_cancelled_total", "requests cancelled (client gone or timeout)", "counter",
        double(cancelled_));
  ttft_.render(out, "tock_time_to_first_token_seconds", "submission to first token");
  itl_.render(out, "tock_inter_token_latency_seconds", "gap between a sequence's consecutive tokens");
  duration_.render(out, "tock_request_duration_seconds", "submission to the last token");
  return out;
}

}  // namespace tock::serve
