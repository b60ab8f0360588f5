#include "clock/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace tock::clock {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double r = std::clamp(p, 0.0, 100.0) / 100.0 * double(v.size() - 1);
  const size_t lo = size_t(std::floor(r)), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (r - double(lo)) * (v[hi] - v[lo]);
}

Metrics compute_metrics(const TraceView& t) {
  Metrics m;
  m.ticks = int64_t(t.ticks.size());
  if (t.ticks.empty()) return m;
  const double start = t.ticks.front().ts;
  double last_end = -1;
  for (const TickView& k : t.ticks) {
    const double end = k.ts + k.dur;
    m.tick_ms += k.dur / 1e3;
    if (k.phase == "prefill") {
      m.prefill_tokens += k.tokens;
      m.prefill_ms += k.dur / 1e3;
    }
    if (!k.has_moment) continue;
    if (last_end < 0) {
      m.ttft_ms = (end - start) / 1e3;
    } else if (k.phase != "prefill") {  // a prefill's token opens a new turn (chat): no gap to the last
      m.itl_ms.push_back((end - last_end) / 1e3);
    }
    if (k.phase == "decode") {
      ++m.decode_tokens;
      m.decode_ms += k.dur / 1e3;
    }
    last_end = end;
  }
  m.itl_p50 = percentile(m.itl_ms, 50);
  m.itl_p90 = percentile(m.itl_ms, 90);
  m.itl_p99 = percentile(m.itl_ms, 99);
  m.prefill_tps = m.prefill_ms > 0 ? double(m.prefill_tokens) / (m.prefill_ms / 1e3) : 0;
  m.decode_tps = m.decode_ms > 0 ? double(m.decode_tokens) / (m.decode_ms / 1e3) : 0;

  std::map<std::string, OpTime> ops;
  double op_ms = 0;
  for (const SpanView& s : t.spans) {
    if (s.cat == "op" || s.cat == "clock") {
      OpTime& o = ops[s.name];
      o.name = s.name;
      o.ms += s.dur / 1e3;
      ++o.count;
      op_ms += s.dur / 1e3;
    } else if (s.cat == "layer" && s.layer >= 0) {
      if (m.layer_ms.size() <= size_t(s.layer)) m.layer_ms.resize(size_t(s.layer) + 1);
      m.layer_ms[size_t(s.layer)] += s.dur / 1e3;
    }
  }
  for (auto& [name, o] : ops) {
    o.share = m.tick_ms > 0 ? o.ms / m.tick_ms : 0;
    m.ops.push_back(o);
  }
  std::sort(m.ops.begin(), m.ops.end(), [](const OpTime& a, const OpTime& b) {
    return a.ms != b.ms ? a.ms > b.ms : a.name < b.name;
  });
  m.unattributed_ms = std::max(0.0, m.tick_ms - op_ms);
  return m;
}

std::string format_metrics(const Metrics& m) {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "ticks: %lld | time to first token: %.2f ms\n"
                "inter-token latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%zu gaps)\n"
                "prefill: %lld tokens in %.2f ms (%.1f tok/s) | decode: %lld tokens in %.2f ms (%.1f tok/s)\n"
                "time per op (share of %.2f ms of ticks):\n",
                (long long)m.ticks, m.ttft_ms, m.itl_p50, m.itl_p90, m.itl_p99, m.itl_ms.size(),
                (long long)m.prefill_tokens, m.prefill_ms, m.prefill_tps, (long long)m.decode_tokens,
                m.decode_ms, m.decode_tps, m.tick_ms);
  s += buf;
  for (const OpTime& o : m.ops) {
    std::snprintf(buf, sizeof buf, "  %-14s %6.2f%%  %10.2f ms  (%lld spans)\n", o.name.c_str(),
                  100.0 * o.share, o.ms, (long long)o.count);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "  %-14s %6.2f%%  %10.2f ms\n", "(other)",
                m.tick_ms > 0 ? 100.0 * m.unattributed_ms / m.tick_ms : 0.0, m.unattributed_ms);
  s += buf;
  return s;
}

nlohmann::json metrics_json(const Metrics& m) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OpTime& o : m.ops) ops.push_back({{"name", o.name}, {"ms", o.ms}, {"share", o.share}, {"count", o.count}});
  return {{"ticks", m.ticks},           {"ttft_ms", m.ttft_ms},         {"itl_ms", m.itl_ms},
          {"itl_p50", m.itl_p50},       {"itl_p90", m.itl_p90},         {"itl_p99", m.itl_p99},
          {"prefill_tokens", m.prefill_tokens}, {"prefill_ms", m.prefill_ms}, {"prefill_tps", m.prefill_tps},
          {"decode_tokens", m.decode_tokens},   {"decode_ms", m.decode_ms},   {"decode_tps", m.decode_tps},
          {"tick_ms", m.tick_ms},       {"ops", ops},                   {"unattributed_ms", m.unattributed_ms},
          {"layer_ms", m.layer_ms}};
}

}  // namespace tock::clock
