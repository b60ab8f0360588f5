#include "clock/trace.hpp"

#include <algorithm>
#include <mutex>

namespace tock::clock {
namespace detail {
std::atomic<bool> g_on{false};
std::atomic<bool> g_attention_on{false};
}  // namespace detail

namespace {

// The sink: the clock's one piece of global mutable state (style.md allows it). Guarded by a
// mutex that only hooks running while tracing is on ever take.
struct Sink {
  std::mutex mu;
  Trace trace;
  bool tick_open = false;
  TickRecord tick;
  int64_t next_tick = 0;
  std::function<void(const TickRecord&)> listener;
  std::vector<int32_t> attention_layers;  // empty: every layer
};
Sink& sink() {
  static Sink s;
  return s;
}

uint32_t thread_index() {
  static std::atomic<uint32_t> next{1};
  thread_local uint32_t id = next.fetch_add(1);
  return id;
}

void close_tick_locked(Sink& s, int64_t t, int64_t kv_len, int64_t kv_bytes) {
  s.tick.t1_ns = t;
  s.tick.kv_len = kv_len;
  s.tick.kv_bytes = kv_bytes;
  s.trace.ticks.push_back(std::move(s.tick));
  s.tick = TickRecord{};
  s.tick_open = false;
}

}  // namespace

const char* phase_name(Phase p) { return p == Phase::prefill ? "prefill" : "decode"; }

void start(TraceOptions options) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.trace = Trace{};
  s.trace.spans.reserve(options.reserve_spans);
  s.trace.ticks.reserve(1024);
  s.trace.origin_ns = now_ns();
  s.tick_open = false;
  s.tick = TickRecord{};
  s.next_tick = 0;
  s.attention_layers = options.attention_layers;
  detail::g_attention_on.store(options.attention, std::memory_order_relaxed);
  detail::g_on.store(true, std::memory_order_release);
}

Trace stop() {
  detail::g_on.store(false, std::memory_order_release);
  detail::g_attention_on.store(false, std::memory_order_relaxed);
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  if (s.tick_open) close_tick_locked(s, now_ns(), s.tick.kv_len, s.tick.kv_bytes);
  return std::move(s.trace);
}

void on_tick(std::function<void(const TickRecord&)> listener) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.listener = std::move(listener);
}

namespace detail {
void record_span(const char* name, const char* cat, int64_t t0, int64_t t1, int32_t layer) {
  const uint32_t tid = thread_index();
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.trace.spans.push_back({name, cat, t0, t1, layer, tid});
}
}  // namespace detail

void tick_begin(Phase phase, int64_t tokens, int64_t kv_len) {
  const int64_t t = now_ns();
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  if (s.tick_open) close_tick_locked(s, t, kv_len, s.tick.kv_bytes);
  s.tick_open = true;
  s.tick.index = s.next_tick++;
  s.tick.phase = phase;
  s.tick.tid = thread_index();
  s.tick.t0_ns = t;
  s.tick.tokens = tokens;
  s.tick.kv_len = kv_len;
}

void tick_end(int64_t kv_len, int64_t kv_bytes) {
  const int64_t t = now_ns();
  Sink& s = sink();
  std::function<void(const TickRecord&)> listener;
  {
    std::lock_guard lock(s.mu);
    if (!s.tick_open) return;
    close_tick_locked(s, t, kv_len, kv_bytes);
    listener = s.listener;
  }
  // Outside the lock: the listener prints, and must not stall other hooks.
  if (listener) listener(s.trace.ticks.back());
}

bool tick_open() {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  return s.tick_open;
}

void set_moment(Moment m) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  if (!s.tick_open) return;
  s.tick.moment = std::move(m);
  s.tick.has_moment = true;
}

void add_input_text(std::string_view text) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  if (s.tick_open) s.tick.input_texts.emplace_back(text);
}

float* attention_slot_for(int32_t layer, int64_t n_head, int64_t n_kv) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  if (!s.tick_open) return nullptr;
  const auto& only = s.attention_layers;
  if (!only.empty() && std::find(only.begin(), only.end(), layer) == only.end()) return nullptr;
  // Only the last batch of a tick counts (prefill in chunks): replace this layer's entry.
  auto& att = s.trace.attention;
  if (!att.empty() && att.back().tick == s.tick.index && att.back().layer >= layer) {
    while (!att.empty() && att.back().tick == s.tick.index) att.pop_back();
  }
  att.push_back({s.tick.index, layer, int32_t(n_head), int32_t(n_kv),
                 std::vector<float>(size_t(n_head * n_kv))});
  return att.back().w.data();
}

}  // namespace tock::clock
