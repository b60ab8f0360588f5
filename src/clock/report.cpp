#include "clock/report.hpp"

#include <string_view>

#include "clock/metrics.hpp"
#include "clock/trace_json.hpp"
#include "core/error.hpp"

namespace tock::clock {

using json = nlohmann::json;

json report_data(const json& trace) {
  const TraceView v = parse_trace(trace);
  const Metrics m = compute_metrics(v);
  json ticks = json::array();
  json prompt = json::array();
  const double origin = v.ticks.empty() ? 0 : v.ticks.front().ts;
  for (const TickView& t : v.ticks) {
    json k = {{"i", t.index}, {"phase", t.phase}, {"ts", (t.ts - origin) / 1e3}, {"ms", t.dur / 1e3},
              {"tokens", t.tokens}, {"kv_len", t.kv_len}, {"kv_bytes", t.kv_bytes}};
    if (t.has_moment) k["moment"] = t.args["moment"];
    if (t.args.contains("inputs")) {
      k["inputs"] = t.args["inputs"];
      if (prompt.empty()) prompt = t.args["inputs"];
    }
    ticks.push_back(std::move(k));
  }
  // Per-op time split by phase, so prefill's batch work does not hide decode's profile.
  json ops_by_phase = {{"prefill", json::object()}, {"decode", json::object()}};
  {
    size_t k = 0;
    for (const SpanView& s : v.spans) {
      if (s.cat != "op" && s.cat != "clock") continue;
      while (k + 1 < v.ticks.size() && s.ts >= v.ticks[k + 1].ts) ++k;
      if (v.ticks.empty()) break;
      json& o = ops_by_phase[v.ticks[k].phase];
      o[s.name] = o.value(s.name, 0.0) + s.dur / 1e3;
    }
  }
  return {{"other", v.other}, {"metrics", metrics_json(m)}, {"ticks", std::move(ticks)},
          {"prompt", std::move(prompt)}, {"ops_by_phase", std::move(ops_by_phase)},
          {"attention", v.attention}};
}

std::string render_report(const json& trace) {
  std::string data = report_data(trace).dump(-1, ' ', false, json::error_handler_t::replace);
  // Inside <script>, "</" could end the element early: JSON lets "/" be escaped.
  std::string safe;
  safe.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '<' && i + 1 < data.size() && data[i + 1] == '/') { safe += "<\\/"; ++i; }
    else safe += data[i];
  }
  std::string page = kReportPage;
  const std::string_view marker = "/*TOCK_REPORT_DATA*/null";
  const size_t at = page.find(marker);
  if (at == std::string::npos) fail("report: page template lost its data marker");
  page.replace(at, marker.size(), safe);
  return page;
}

}  // namespace tock::clock
