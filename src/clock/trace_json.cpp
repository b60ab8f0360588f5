#include "clock/trace_json.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace tock::clock {
namespace {

using json = nlohmann::json;
constexpr int kPid = 1;

double us(int64_t ns) { return double(ns) / 1000.0; }
// An attention weight to 4 significant digits, as the double nearest that decimal (m / 10^k with
// both exact, so the division rounds once), which JSON then prints in at most 4 digits:
// 0.2168 rather than 0.21681000000000003. Weights below 1e-6 are 0. This keeps attention traces
// ~3x smaller; a heat map needs no more.
double sig4(float w) {
  const double x = double(w);
  if (!(std::fabs(x) >= 1e-6)) return 0.0;  // NaN too
  const int k = 3 - int(std::floor(std::log10(std::fabs(x))));
  const double p10 = std::pow(10.0, k);
  return std::round(x * p10) / p10;
}

json alternatives(const std::vector<Alternative>& v) {
  json a = json::array();
  for (const Alternative& x : v) a.push_back({{"id", x.id}, {"p", x.p}, {"text", x.text}});
  return a;
}

json moment_json(const Moment& m) {
  json j = {{"token", m.token}, {"text", m.text}, {"p", m.p}, {"logit", m.logit},
            {"entropy", m.entropy}, {"top", alternatives(m.top)}};
  if (m.has_final)
    j["final"] = {{"p", m.final_p}, {"entropy", m.final_entropy}, {"top", alternatives(m.final_top)}};
  return j;
}

}  // namespace

json to_chrome_json(const Trace& trace, const json& other) {
  const int64_t o = trace.origin_ns;
  std::vector<json> ev;
  ev.reserve(trace.spans.size() + 4 * trace.ticks.size() + trace.attention.size());
  std::vector<uint32_t> tids;
  for (const TickRecord& t : trace.ticks) {
    tids.push_back(t.tid);
    json args = {{"index", t.index}, {"phase", phase_name(t.phase)}, {"tokens", t.tokens},
                 {"kv_len", t.kv_len}, {"kv_bytes", t.kv_bytes}};
    if (t.has_moment) args["moment"] = moment_json(t.moment);
    if (!t.input_texts.empty()) args["inputs"] = t.input_texts;
    ev.push_back({{"name", t.phase == Phase::prefill ? "prefill tick" : "decode tick"},
                  {"cat", "tick"}, {"ph", "X"}, {"ts", us(t.t0_ns - o)}, {"dur", us(t.t1_ns - t.t0_ns)},
                  {"pid", kPid}, {"tid", t.tid}, {"args", std::move(args)}});
    ev.push_back({{"name", "kv_cache"}, {"ph", "C"}, {"ts", us(t.t1_ns - o)}, {"pid", kPid},
                  {"tid", t.tid}, {"args", {{"positions", t.kv_len}, {"bytes", t.kv_bytes}}}});
    if (t.has_moment)
      ev.push_back({{"name", "moment"}, {"ph", "C"}, {"ts", us(t.t1_ns - o)}, {"pid", kPid},
                    {"tid", t.tid},
                    {"args", {{"p", t.moment.p}, {"entropy_nats", t.moment.entropy}}}});
  }
  for (const SpanRecord& s : trace.spans) {
    tids.push_back(s.tid);
    json e = {{"name", s.name}, {"cat", s.cat}, {"ph", "X"}, {"ts", us(s.t0_ns - o)},
              {"dur", us(s.t1_ns - s.t0_ns)}, {"pid", kPid}, {"tid", s.tid}};
    if (s.layer >= 0) e["args"] = {{"layer", s.layer}};
    ev.push_back(std::move(e));
  }
  for (const AttentionRecord& a : trace.attention) {
    json w = json::array();
    for (int32_t h = 0; h < a.n_head; ++h) {
      json row = json::array();
      for (int32_t j = 0; j < a.n_kv; ++j) row.push_back(sig4(a.w[size_t(h * a.n_kv + j)]));
      w.push_back(std::move(row));
    }
    // At the end of its tick (found by index), so it sorts after the work that produced it.
    double ts = 0;
    for (const TickRecord& t : trace.ticks)
      if (t.index == a.tick) ts = us(t.t1_ns - o);
    ev.push_back({{"name", "attention"}, {"cat", "attention"}, {"ph", "i"}, {"s", "t"}, {"ts", ts},
                  {"pid", kPid}, {"tid", trace.ticks.empty() ? 1u : trace.ticks.front().tid},
                  {"args", {{"tick", a.tick}, {"layer", a.layer}, {"n_head", a.n_head},
                            {"n_kv", a.n_kv}, {"weights", std::move(w)}}}});
  }
  // Parents first: by start time, then the longer event (which contains the shorter) first.
  std::stable_sort(ev.begin(), ev.end(), [](const json& a, const json& b) {
    const double ta = a["ts"].get<double>(), tb = b["ts"].get<double>();
    if (ta != tb) return ta < tb;
    return a.value("dur", 0.0) > b.value("dur", 0.0);
  });

  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", kPid}, {"tid", 0},
                    {"args", {{"name", "tock"}}}});
  std::sort(tids.begin(), tids.end());
  tids.erase(std::unique(tids.begin(), tids.end()), tids.end());
  for (uint32_t tid : tids)
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", kPid}, {"tid", tid},
                      {"args", {{"name", tid == 1 ? std::string("main") : "thread " + std::to_string(tid)}}}});
  for (json& e : ev) events.push_back(std::move(e));
  json out = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}, {"otherData", other}};
  out["otherData"]["clock"] =
      "tock clock trace: ts/dur in microseconds from steady_clock; moment.p/top/entropy are the "
      "softmax of the model's raw logits (before penalties, filters, temperature); moment.final is "
      "the sampler's final distribution when it differs from the greedy argmax; entropy in nats";
  return out;
}

void write_json_file(const std::string& path, const json& j) {
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot write ", tmp);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) { ::close(fd); fail("write failed on ", tmp); }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) fail("cannot flush ", tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename ", tmp, " to ", path);
}

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read ", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(path, ": not valid JSON");
  return j;
}

TraceView parse_trace(const json& j) {
  if (!j.is_object() || !j.contains("traceEvents") || !j["traceEvents"].is_array())
    fail("trace: expected an object with a \"traceEvents\" array");
  TraceView v;
  if (j.contains("otherData") && j["otherData"].is_object()) v.other = j["otherData"];
  size_t i = 0;
  for (const json& e : j["traceEvents"]) {
    auto need = [&](const char* key) -> const json& {
      if (!e.is_object() || !e.contains(key)) fail("trace: event ", i, " has no \"", key, "\"");
      return e[key];
    };
    const std::string ph = need("ph").get<std::string>();
    const std::string name = need("name").get<std::string>();
    if (ph == "X") {
      const std::string cat = e.value("cat", "");
      const double ts = need("ts").get<double>(), dur = need("dur").get<double>();
      if (cat == "tick") {
        const json& a = need("args");
        TickView t;
        t.index = a.at("index").get<int64_t>();
        t.phase = a.at("phase").get<std::string>();
        t.ts = ts;
        t.dur = dur;
        t.tokens = a.value("tokens", int64_t(0));
        t.kv_len = a.value("kv_len", int64_t(0));
        t.kv_bytes = a.value("kv_bytes", int64_t(0));
        t.has_moment = a.contains("moment");
        t.args = a;
        v.ticks.push_back(std::move(t));
      } else {
        SpanView s{name, cat, ts, dur, -1};
        if (e.contains("args") && e["args"].contains("layer")) s.layer = e["args"]["layer"].get<int64_t>();
        v.spans.push_back(std::move(s));
      }
    } else if (ph == "i" && name == "attention") {
      v.attention.push_back(need("args"));
    }
    ++i;
  }
  std::sort(v.ticks.begin(), v.ticks.end(), [](const TickView& a, const TickView& b) { return a.index < b.index; });
  return v;
}

}  // namespace tock::clock
