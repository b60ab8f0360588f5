// The clock's trace sink: the one hook the model and runtime report into while they run.
// Off (the default) every hook is a branch on one flag: no allocation, no lock, no clock read.
// On, spans and ticks are appended to preallocated vectors (one uncontended lock per event).
//
// Vocabulary (design.md): a *tick* is one forward pass that yields a token (plus the sampling
// that reads it); the *moment* is what the model decided at that tick (moment.hpp).
// Spans are recorded by the thread that runs the forward pass; the kernels' worker threads do
// not report (their work is inside the caller's span).
// Not here: JSON export (trace_json.hpp), metrics (metrics.hpp), the HTML report (report.hpp).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

#include "clock/moment.hpp"

namespace tock::clock {

enum class Phase : uint8_t { prefill, decode };
const char* phase_name(Phase p);

struct TraceOptions {
  bool attention = false;  // record per-head attention weights of the last token at each tick
  std::vector<int32_t> attention_layers = {};  // only these layers' (empty: every layer)
  size_t reserve_spans = 1 << 16;
};

// A closed span of work ("X" event): an op inside a layer, a layer, a forward pass, sampling.
struct SpanRecord {
  const char* name;  // a string literal (hooks never allocate a name)
  const char* cat;   // "op", "layer", "forward", "sample"
  int64_t t0_ns, t1_ns;
  int32_t layer;     // -1 when the span is not inside a layer
  uint32_t tid;
};

// One tick: the forward pass (or prefill chunks) that yields a token and the sampling after it.
struct TickRecord {
  int64_t index = 0;
  Phase phase = Phase::decode;
  int64_t t0_ns = 0, t1_ns = 0;
  uint32_t tid = 0;           // the thread that ran it
  int64_t tokens = 0;         // tokens processed by the forward pass(es) (batch size)
  int64_t kv_len = 0;         // positions in the KV cache after the tick
  int64_t kv_bytes = 0;       // bytes those positions occupy (K and V, every layer)
  bool has_moment = false;    // false: a forward pass whose logits were not sampled
  Moment moment;
  std::vector<std::string> input_texts;  // prefill: the prompt tokens' text (for the report)
};

// Per-head attention weights of the last token of a tick's batch in one layer: (n_head, n_kv).
struct AttentionRecord {
  int64_t tick;
  int32_t layer, n_head, n_kv;
  std::vector<float> w;
};

// Everything one traced run recorded. Times are steady_clock nanoseconds.
struct Trace {
  std::vector<SpanRecord> spans;
  std::vector<TickRecord> ticks;
  std::vector<AttentionRecord> attention;
  int64_t origin_ns = 0;  // when tracing started (exported timestamps are relative to it)
};

namespace detail {
extern std::atomic<bool> g_on;            // the flag every hook branches on
extern std::atomic<bool> g_attention_on;
void record_span(const char* name, const char* cat, int64_t t0, int64_t t1, int32_t layer);
}  // namespace detail

inline bool enabled() { return detail::g_on.load(std::memory_order_relaxed); }
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Starts recording into a fresh Trace (dropping any earlier one). Not thread-safe against hooks
// running at the same moment: call it before generation starts.
void start(TraceOptions options = {});
// Stops recording and hands over what was recorded.
Trace stop();

// Called at every tick's end with the finished tick (for `tock run --tick`). Empty: none.
using on_tick_fn = std::function<void(const TickRecord&)>;
void on_tick(on_tick_fn listener);

// --- hooks (each a branch on enabled() when off) ---

// A span from construction to end() (or destruction). name/cat must be string literals.
class Span {
 public:
  explicit Span(const char* name, const char* cat = "op", int32_t layer = -1) {
    if (enabled()) { name_ = name; cat_ = cat; layer_ = layer; t0_ = now_ns(); }
  }
  ~Span() { end(); }
  void end() {
    if (name_) { detail::record_span(name_, cat_, t0_, now_ns(), layer_); name_ = nullptr; }
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  const char* name_ = nullptr;
  const char* cat_ = nullptr;
  int32_t layer_ = -1;
  int64_t t0_ = 0;
};

// Consecutive op spans with one clock read each: mark("attn_norm") closes the op that ran since
// the previous mark. The Lap itself is a span (e.g. "layer") closed at destruction, so its ops
// are nested inside it and sum to at most its duration.
class Lap {
 public:
  explicit Lap(const char* name, const char* cat, int32_t layer = -1) {
    if (enabled()) { name_ = name; cat_ = cat; layer_ = layer; t0_ = last_ = now_ns(); }
  }
  ~Lap() {
    if (name_) detail::record_span(name_, cat_, t0_, now_ns(), layer_);
  }
  void mark(const char* op) {
    if (!name_) return;
    const int64_t t = now_ns();
    detail::record_span(op, "op", last_, t, layer_);
    last_ = t;
  }
  void skip() {  // the time since the last mark was reported elsewhere (e.g. nested layers)
    if (name_) last_ = now_ns();
  }
  Lap(const Lap&) = delete;
  Lap& operator=(const Lap&) = delete;

 private:
  const char* name_ = nullptr;
  const char* cat_ = nullptr;
  int32_t layer_ = -1;
  int64_t t0_ = 0, last_ = 0;
};

// Opens a tick (closing an open one without a moment first). kv_len: positions before it.
void tick_begin(Phase phase, int64_t tokens, int64_t kv_len);
inline void begin_tick(Phase phase, int64_t tokens, int64_t kv_len) {
  if (enabled()) tick_begin(phase, tokens, kv_len);
}
// Closes the open tick, if any. kv_len/kv_bytes: the cache after it.
void tick_end(int64_t kv_len, int64_t kv_bytes);
inline void end_tick(int64_t kv_len, int64_t kv_bytes) {
  if (enabled()) tick_end(kv_len, kv_bytes);
}
// Whether a tick is open (so a caller knows whether a sample belongs to one).
bool tick_open();

// The moment of the open tick: `token` chosen from `logits` (the model's raw logits, V) and the
// sampler's final distribution `final` (any range of objects with .id and .p, e.g.
// Sampler::candidates()); `tok` is anything with piece(id) -> the token's bytes.
void set_moment(Moment m);
template <typename Candidates, typename Tok>
void moment(std::span<const float> logits, int32_t token, const Candidates& final, const Tok& tok) {
  if (!enabled()) return;
  Span span("moment", "clock");  // the clock's own work, shown so its cost is visible
  std::vector<IdProb> f;
  f.reserve(final.size());
  for (const auto& c : final) f.push_back({c.id, c.p});
  Moment m = compute_moment(logits, token, f);
  m.text = tok.piece(token);
  for (Alternative& a : m.top) a.text = tok.piece(a.id);
  for (Alternative& a : m.final_top) a.text = tok.piece(a.id);
  set_moment(std::move(m));
}

// The prompt's token texts for the open (prefill) tick; `tok` is anything with piece(id).
void add_input_text(std::string_view text);
template <typename Ids, typename Tok>
void input_tokens(const Ids& ids, const Tok& tok) {
  if (!enabled()) return;
  for (int32_t id : ids) add_input_text(tok.piece(id));
}

// Where attention_one may write the (n_head, n_kv) weights of layer `layer` for the open tick;
// nullptr unless attention tracing is on.
float* attention_slot_for(int32_t layer, int64_t n_head, int64_t n_kv);
inline float* attention_slot(int64_t layer, int64_t n_head, int64_t n_kv) {
  if (!detail::g_attention_on.load(std::memory_order_relaxed)) return nullptr;
  return attention_slot_for(int32_t(layer), n_head, n_kv);
}

}  // namespace tock::clock
