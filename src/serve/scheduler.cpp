#include "serve/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "serve/api_error.hpp"

namespace tock::serve {
namespace {

double ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Length of the common prefix of a and b, at most `limit`.
size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t limit) {
  const size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// log-softmax of the raw logits (the model's distribution, before the sampler's filters) at the
// chosen token, and the `k` most likely tokens (ties to the lower id).
TokenLogprob logprobs_of(const float* logits, int32_t V, int32_t token, int k) {
  float mx = logits[0];
  for (int32_t i = 1; i < V; ++i) mx = std::max(mx, logits[i]);
  double sum = 0;
  for (int32_t i = 0; i < V; ++i) sum += std::exp(double(logits[i] - mx));
  const double log_z = double(mx) + std::log(sum);
  TokenLogprob out;
  out.token = token;
  out.logprob = float(double(logits[token]) - log_z);
  if (k > 0) {
    std::vector<int32_t> ids(static_cast<size_t>(V));
    for (int32_t i = 0; i < V; ++i) ids[size_t(i)] = i;
    const auto kk = std::min<size_t>(size_t(k), ids.size());
    std::partial_sort(ids.begin(), ids.begin() + std::ptrdiff_t(kk), ids.end(), [&](int32_t a, int32_t b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (size_t i = 0; i < kk; ++i)
      out.top.emplace_back(ids[i], float(double(logits[ids[i]]) - log_z));
  }
  return out;
}

}  // namespace

Scheduler::Scheduler(Model& model, const Tokenizer& tok, SchedulerOptions options, ServerMetrics& metrics)
    : model_(model), tok_(tok), opt_(options), metrics_(metrics), cache_(model.make_cache(options.ctx)),
      slots_(size_t(std::max(1, options.parallel))) {
  if (opt_.parallel < 1) fail("serve: --parallel must be at least 1, got ", opt_.parallel);
  if (opt_.batch_tokens < opt_.parallel + 1)
    fail("serve: --batch ", opt_.batch_tokens, " must exceed --parallel ", opt_.parallel);
  if (opt_.queue < 0) fail("serve: --queue must be >= 0, got ", opt_.queue);
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::start() {
  thread_ = std::thread([this] {
    // Warm-up: one real forward pass (weights paged in, scratch sized), so /health's "ok" means
    // the next request runs at speed. Sequence 0 is cleared again afterwards.
    try {
      Batch b;
      b.add(tok_.bos() >= 0 ? tok_.bos() : 0, 0, 0, true);
      model_.forward(b, cache_, logits_);
      cache_.free_sequence(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "serve: warm-up forward pass failed: %s\n", e.what());
      return;
    }
    ready_.store(true);
    loop();
  });
}

void Scheduler::submit_many(const std::vector<std::shared_ptr<Job>>& jobs) {
  {
    std::lock_guard lock(m_);
    drop_dead_locked();
    const int64_t free_slots = int64_t(slots_.size()) - active_;
    if (int64_t(queue_.size() + jobs.size()) > free_slots + opt_.queue)
      throw ApiError(503, "server busy: " + std::to_string(queue_.size()) + " requests queued, " +
                              std::to_string(active_) + " of " + std::to_string(slots_.size()) + " slots busy" +
                              (jobs.size() > 1 ? " (this request needs " + std::to_string(jobs.size()) + ")" : "") +
                              "; retry later", "", "overloaded");
    queue_.insert(queue_.end(), jobs.begin(), jobs.end());
  }
  cv_.notify_all();
}

int64_t Scheduler::queued() const { std::lock_guard lock(m_); return int64_t(queue_.size()); }
int64_t Scheduler::active() const { std::lock_guard lock(m_); return active_; }

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock lock(m_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || active_ > 0; });
      if (stopping_) break;
      admit_locked();
    }
    if (std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.job != nullptr; })) tick();
  }
  for (size_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].job) end(int(s), Finish::cancelled);
  std::lock_guard lock(m_);
  for (auto& job : queue_) job->finish(Finish::cancelled, {});
  queue_.clear();
}

// Ends every queued job that was cancelled, whose client left (its socket closed, maybe not yet
// seen by its HTTP thread) or that is past its deadline, wherever it waits (under m_): such a
// job must not hold a queue place until it reaches the front.
void Scheduler::drop_dead_locked() {
  const auto now = SteadyClock::now();
  std::erase_if(queue_, [&](const std::shared_ptr<Job>& job) {
    const double timeout = job->request().timeout_s;
    if (job->client_gone()) job->cancel();
    if (!job->cancelled() && !(timeout > 0 && ms_between(job->submitted(), now) > timeout * 1e3)) return false;
    JobTimings t;
    t.prompt_n = int64_t(job->request().prompt.size());
    t.queue_ms = t.total_ms = ms_between(job->submitted(), now);
    metrics_.cancelled();
    job->finish(job->cancelled() ? Finish::cancelled : Finish::timeout, t);
    return true;
  });
}

// Moves queued jobs into free slots (under m_). Jobs already cancelled or past their deadline
// end here without touching the model.
void Scheduler::admit_locked() {
  drop_dead_locked();
  while (!queue_.empty()) {
    auto job = queue_.front();
    // The free slot whose cached tokens share the longest prefix with the prompt.
    int best = -1;
    size_t best_len = 0;
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].job) continue;
      const size_t len = common_prefix(slots_[s].cached, job->request().prompt, SIZE_MAX);
      // Ties (no shared prefix, mostly) go to the slot freed longest ago: the one whose cached
      // prompt is least likely to be asked for again, as an LRU cache would evict.
      if (best < 0 || len > best_len || (len == best_len && slots_[s].released < slots_[size_t(best)].released))
        best = int(s), best_len = len;
    }
    if (best < 0) return;
    queue_.pop_front();
    ++active_;
    start_in_slot(best, std::move(job));
  }
}

void Scheduler::start_in_slot(int s, std::shared_ptr<Job> job) {
  Slot& sl = slots_[size_t(s)];
  const std::vector<int32_t>& P = job->request().prompt;
  // At least the last prompt token is processed again: its logits give the first token.
  const size_t reuse = common_prefix(sl.cached, P, P.size() - 1);
  if (!cache_.has_sequence(s)) cache_.add_sequence(s);
  cache_.truncate(s, int64_t(reuse));
  sl.cached.resize(reuse);
  const JobRequest& rq = job->request();
  sl.prompt_done = reuse;
  sl.next = -1;
  sl.sampler.emplace(rq.sampling);
  for (int32_t t : P) sl.sampler->accept(t);
  sl.decoder.emplace(tok_, /*skip_special=*/true);
  sl.stops.emplace(rq.stop);
  sl.t_slot = SteadyClock::now();
  sl.timings = JobTimings{};
  sl.timings.prompt_n = int64_t(P.size());
  sl.timings.cache_n = int64_t(reuse);
  sl.timings.queue_ms = ms_between(job->submitted(), sl.t_slot);
  sl.admitted = ++admissions_;
  metrics_.prompt_tokens(int64_t(P.size()), int64_t(reuse));
  sl.job = std::move(job);  // a longer prefix in another slot is taken at the next tick (adopt_prefix)
}

// Slot s (in prefill) takes the longest prefix of its prompt that another slot's cache holds, when
// longer than what it has: a prefix another request computed before it (a shared system prompt, a
// conversation's earlier turns) or since (a request's other choices, prompts that arrived
// together). At least the prompt's last token is left to compute: its logits give the first token.
void Scheduler::adopt_prefix(int s) {
  Slot& sl = slots_[size_t(s)];
  const std::vector<int32_t>& P = sl.job->request().prompt;
  int src = -1;
  size_t best = sl.prompt_done;
  for (size_t j = 0; j < slots_.size(); ++j) {
    const size_t len = common_prefix(slots_[j].cached, P, P.size() - 1);
    if (int(j) != s && len > best) src = int(j), best = len;
  }
  if (src < 0) return;
  cache_.copy_prefix(src, s, int64_t(best));
  const auto gained = int64_t(best - sl.prompt_done);
  sl.cached.assign(P.begin(), P.begin() + std::ptrdiff_t(best));
  sl.prompt_done = best;
  sl.timings.cache_n += gained;
  metrics_.prompt_tokens(0, gained);
}

// True when an older request still in prefill shares at least kMinShared more tokens of slot s's
// prompt than s holds: s waits (a tick or a few) and then copies them (adopt_prefix) instead of
// computing them too. The oldest prompt never waits, so every wait ends.
bool Scheduler::waits_for_shared_prefix(int s) const {
  constexpr size_t kMinShared = 16;  // below this, copying saves less than a tick's delay costs
  const Slot& sl = slots_[size_t(s)];
  const std::vector<int32_t>& P = sl.job->request().prompt;
  for (const Slot& o : slots_) {
    if (!o.job || o.next >= 0 || o.admitted >= sl.admitted) continue;
    const std::vector<int32_t>& Q = o.job->request().prompt;
    const size_t shared = common_prefix(Q, P, P.size() - 1);
    if (shared >= sl.prompt_done + kMinShared && shared > o.prompt_done) return true;
  }
  return false;
}

void Scheduler::tick() {
  const auto now = SteadyClock::now();
  for (size_t s = 0; s < slots_.size(); ++s) {
    Slot& sl = slots_[s];
    if (!sl.job) continue;
    const double timeout = sl.job->request().timeout_s;
    if (sl.job->cancelled()) end(int(s), Finish::cancelled);
    else if (timeout > 0 && ms_between(sl.job->submitted(), now) > timeout * 1e3) end(int(s), Finish::timeout);
  }

  // The batch: each decoding sequence's next token, then prompt chunks, oldest request first.
  batch_.clear();
  std::vector<std::pair<int, size_t>> prefill;     // (slot, prompt tokens added)
  for (size_t s = 0; s < slots_.size(); ++s) {
    Slot& sl = slots_[s];
    if (!sl.job || sl.next < 0) continue;
    batch_.add(sl.next, int32_t(sl.cached.size()), int32_t(s), true);
  }
  std::vector<int> order;
  for (size_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].job && slots_[s].next < 0) {
      adopt_prefix(int(s));
      if (!waits_for_shared_prefix(int(s))) order.push_back(int(s));
    }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return slots_[size_t(a)].admitted < slots_[size_t(b)].admitted;
  });
  int64_t budget = opt_.batch_tokens - batch_.size();
  for (int s : order) {
    if (budget <= 0) break;
    Slot& sl = slots_[size_t(s)];
    const std::vector<int32_t>& P = sl.job->request().prompt;
    const size_t n = std::min(P.size() - sl.prompt_done, size_t(budget));
    for (size_t i = 0; i < n; ++i) {
      const size_t k = sl.prompt_done + i;
      const bool last = k + 1 == P.size();
      batch_.add(P[k], int32_t(k), s, last);
    }
    prefill.emplace_back(s, n);
    budget -= int64_t(n);
  }
  if (batch_.size() == 0) return;
  // Logits rows come in batch order; each names its sequence (= slot).
  std::vector<int> rows;
  for (int64_t t = 0; t < batch_.size(); ++t)
    if (batch_.logits[size_t(t)]) rows.push_back(batch_.seq[size_t(t)]);

  try {
    model_.forward(batch_, cache_, logits_);
  } catch (const std::exception& e) {
    fail_all(e.what());
    return;
  }
  for (size_t s = 0; s < slots_.size(); ++s) {
    Slot& sl = slots_[s];
    if (sl.job && sl.next >= 0) {
      sl.cached.push_back(sl.next);
      sl.next = -1;
    }
  }
  for (const auto& [s, n] : prefill) {
    Slot& sl = slots_[size_t(s)];
    const auto& P = sl.job->request().prompt;
    sl.cached.insert(sl.cached.end(), P.begin() + std::ptrdiff_t(sl.prompt_done),
                     P.begin() + std::ptrdiff_t(sl.prompt_done + n));
    sl.prompt_done += n;
  }
  const size_t V = size_t(model_.config().n_vocab);
  // Each slot samples with its own sampler (its own generator and buffers), so the rows are drawn
  // in parallel: at temperature > 0 a draw over 49152 logits takes ~0.6 ms at OpenAI's defaults
  // (a softmax over the whole vocabulary) and ~0.16 ms with top-k on (bench_batch_decode
  // --sampling openai|cli, N=1). Only among the tokenizer's ids (a model's output may be padded
  // past them).
  sampled_.resize(rows.size());
  const auto n_tok = size_t(tok_.vocab_size());
  thread_pool().parallel_for(int64_t(rows.size()), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      Slot& sl = slots_[size_t(rows[size_t(r)])];
      sampled_[size_t(r)] = sl.sampler->sample(std::span<const float>(logits_.data() + size_t(r) * V, n_tok));
    }
  });
  for (size_t r = 0; r < rows.size(); ++r) on_logits(rows[r], logits_.data() + r * V, sampled_[r]);
}

void Scheduler::on_logits(int s, const float* logits, int32_t token) {
  Slot& sl = slots_[size_t(s)];
  const JobRequest& rq = sl.job->request();
  const int32_t V = tok_.vocab_size();
  sl.sampler->accept(token);
  const auto now = SteadyClock::now();
  if (sl.timings.predicted_n == 0) {
    sl.t_first = now;
    sl.timings.prompt_ms = ms_between(sl.t_slot, now);
    sl.timings.ttft_ms = ms_between(sl.job->submitted(), now);
    metrics_.ttft(sl.timings.ttft_ms / 1e3);
  } else {
    metrics_.inter_token(ms_between(sl.t_last, now) / 1e3);
  }
  sl.t_last = now;
  ++sl.timings.predicted_n;
  metrics_.generated_token();
  if (!rq.ignore_eos && tok_.is_eog(token)) return end(s, Finish::stop);

  std::optional<TokenLogprob> lp;
  if (rq.top_logprobs >= 0) lp = logprobs_of(logits, V, token, rq.top_logprobs);
  const std::string text = sl.stops->push(sl.decoder->push(token));
  sl.job->push(text, lp ? &*lp : nullptr);
  if (sl.stops->stopped()) return end(s, Finish::stop);
  if (sl.timings.predicted_n >= rq.max_tokens || int64_t(sl.cached.size()) >= opt_.ctx)
    return end(s, Finish::length);
  sl.next = token;
}

void Scheduler::end(int s, Finish f, std::string error) {
  Slot& sl = slots_[size_t(s)];
  if ((f == Finish::stop || f == Finish::length) && !sl.stops->stopped())
    sl.job->push(sl.stops->push(sl.decoder->flush()) + sl.stops->flush(), nullptr);
  const auto now = SteadyClock::now();
  JobTimings& t = sl.timings;
  if (t.predicted_n > 0) t.predicted_ms = ms_between(sl.t_first, sl.t_last);
  t.total_ms = ms_between(sl.job->submitted(), now);
  metrics_.duration(t.total_ms / 1e3);
  if (f == Finish::cancelled || f == Finish::timeout) metrics_.cancelled();
  {
    // Before the job is told: its client may send the next request as soon as it has the reply,
    // and that one must find the slot counted free (or it could be refused with a 503).
    std::lock_guard lock(m_);
    --active_;
  }
  sl.job->finish(f, t, std::move(error));
  sl.job.reset();
  sl.released = ++releases_;
  sl.next = -1;
  sl.sampler.reset();
  sl.decoder.reset();
  sl.stops.reset();
}

// A forward pass that threw leaves the caches' lengths as they were (they are set at its end),
// but the written rows are suspect: drop every active sequence's cache and end its job.
void Scheduler::fail_all(const std::string& error) {
  std::fprintf(stderr, "serve: forward pass failed: %s\n", error.c_str());
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].job) continue;
    if (cache_.has_sequence(int32_t(s))) cache_.free_sequence(int32_t(s));
    slots_[s].cached.clear();
    end(int(s), Finish::error, "the forward pass failed: " + error);
  }
}

}  // namespace tock::serve
