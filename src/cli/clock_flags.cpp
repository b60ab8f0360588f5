#include "cli/clock_flags.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "clock/metrics.hpp"
#include "clock/trace.hpp"
#include "clock/trace_json.hpp"
#include "core/error.hpp"

namespace tock::cli {
namespace {

// A token's bytes as one printable line: control characters escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\x%02x", c); out += b; }
    else out += char(c);
  }
  return out;
}

void print_tick(const clock::TickRecord& t) {
  const double ms = double(t.t1_ns - t.t0_ns) / 1e6;
  if (!t.has_moment) {
    std::fprintf(stderr, "\n[tick %4lld %-7s %4lld tok] %8.2f ms  (not sampled)\n", (long long)t.index,
                 clock::phase_name(t.phase), (long long)t.tokens, ms);
    return;
  }
  const clock::Moment& m = t.moment;
  std::string alt;
  for (size_t i = 1; i < m.top.size() && i < 3; ++i) {
    char b[64];
    std::snprintf(b, sizeof b, "  %.3f ", m.top[i].p);
    alt += b + ("\"" + printable(m.top[i].text) + "\"");
  }
  // Leading newline: the generated text streams on stdout between these lines.
  std::fprintf(stderr, "\n[tick %4lld %-7s %4lld tok] %8.2f ms  p=%.3f  H=%.2f  kv=%lld  \"%s\"   next:%s\n",
               (long long)t.index, clock::phase_name(t.phase), (long long)t.tokens, ms, m.p, m.entropy,
               (long long)t.kv_len, printable(m.text).c_str(), alt.c_str());
  std::fflush(stderr);
}

// "all" -> {} (every layer); "0,15,20-29" -> {0, 15, 20, ..., 29}.
std::vector<int32_t> parse_layers(const std::string& spec) {
  std::vector<int32_t> out;
  if (spec.empty() || spec == "all") return out;
  size_t at = 0;
  while (at <= spec.size()) {
    const size_t comma = std::min(spec.find(',', at), spec.size());
    const std::string item = spec.substr(at, comma - at);
    int a = -1, b = -1;
    char tail = 0;
    const int n = std::sscanf(item.c_str(), "%d-%d%c", &a, &b, &tail);
    if (n == 1 && item.find('-') == std::string::npos) b = a;
    if (!((n == 1 && b == a) || n == 2) || a < 0 || b < a)
      fail("--trace-attention: '", item, "' in '", spec, "' is not a layer or a range like 20-29");
    for (int l = a; l <= b; ++l) out.push_back(l);
    at = comma + 1;
  }
  return out;
}

}  // namespace

void ClockFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--trace", trace_path,
                 "write a Chrome trace-event JSON of every tick (open in Perfetto or `tock report`)");
  cmd.add_flag("--metrics", metrics,
               "print time to first token, inter-token latency p50/p90/p99, speeds and time per op");
  cmd.add_flag("--tick", tick, "print each tick (token, latency, probability, entropy) on stderr as it happens");
  cmd.add_flag("--trace-attention{all}", attention,
               "also record each tick's per-head attention weights of the last token (large traces); "
               "--trace-attention=0,20-29 records only those layers");
}

void ClockFlags::start() const {
  if (!active()) return;
  if (!attention.empty() && trace_path.empty()) fail("--trace-attention needs --trace FILE");
  clock::on_tick(tick ? clock::on_tick_fn(print_tick) : clock::on_tick_fn{});
  clock::start({.attention = !attention.empty(), .attention_layers = parse_layers(attention)});
}

void ClockFlags::finish(const std::string& command, const std::string& model, const std::string& prompt,
                        const SamplerParams& s) const {
  if (!active()) return;
  clock::on_tick({});
  const clock::Trace trace = clock::stop();
  nlohmann::json other = {
      {"command", command}, {"model", model}, {"prompt", prompt},
      {"sampling", {{"temperature", s.temperature}, {"top_k", s.top_k}, {"top_p", s.top_p},
                    {"min_p", s.min_p}, {"repeat_penalty", s.repeat_penalty}, {"seed", s.seed}}}};
  const nlohmann::json j = clock::to_chrome_json(trace, other);
  if (!trace_path.empty()) {
    clock::write_json_file(trace_path, j);
    std::fprintf(stderr, "trace: %zu ticks, %zu spans -> %s\n", trace.ticks.size(), trace.spans.size(),
                 trace_path.c_str());
  }
  if (metrics) {
    const clock::Metrics m = clock::compute_metrics(clock::parse_trace(j));
    std::fprintf(stderr, "\n%s", clock::format_metrics(m).c_str());
  }
}

}  // namespace tock::cli
