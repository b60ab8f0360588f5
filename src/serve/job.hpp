// One request's life in the scheduler, shared between the HTTP thread that waits for its text
// and the scheduler thread that produces it. The scheduler appends text (whole UTF-8 characters,
// stop strings held back) and per-token log-probabilities; the HTTP side takes what arrived since
// it last looked, or cancels (client gone). Everything crossing threads is under the job's mutex.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/sampler.hpp"

namespace tock::serve {

using SteadyClock = std::chrono::steady_clock;

// What the scheduler needs to run a request (already validated and tokenized).
struct JobRequest {
  std::vector<int32_t> prompt;     // token ids, not empty
  SamplerParams sampling;
  int max_tokens = 16;             // >= 1
  std::vector<std::string> stop;   // stop strings (not shown)
  int top_logprobs = -1;           // -1: no log-probabilities; 0..20: chosen token + that many
  bool ignore_eos = false;         // keep going past end-of-generation tokens (benchmarks)
  double timeout_s = 0;            // <= 0: none; counts from submission
};

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // most likely first
};

enum class Finish { running, stop, length, cancelled, timeout, error };
const char* finish_name(Finish f);  // OpenAI's finish_reason: "stop", "length", ...

// The `timings` object every response carries (llama.cpp's names).
struct JobTimings {
  int64_t prompt_n = 0;          // prompt tokens
  int64_t cache_n = 0;           // of them, reused from cached KV (shared prefix)
  double queue_ms = 0;           // submission -> a slot
  double prompt_ms = 0;          // slot -> first token sampled (prefill)
  int64_t predicted_n = 0;       // tokens sampled
  double predicted_ms = 0;       // first token -> last token
  double ttft_ms = 0;            // submission -> first token
  double total_ms = 0;           // submission -> end
};

// Wakes the one thread that waits for several jobs (a request's choices): each push or finish of
// a job that holds this signal bumps a count. The waiter reads count(), takes from every job, and
// only when none had news waits for the count to move past what it read (no update is missed).
class JobSignal {
 public:
  uint64_t count() const;
  void wait_past(uint64_t seen, std::chrono::milliseconds wait);
  void bump();

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

class Job {
 public:
  explicit Job(JobRequest request);

  struct Update {
    std::string text;
    std::vector<TokenLogprob> logprobs;
    bool done = false;
    Finish finish = Finish::running;
    std::string error;      // when finish == error
    JobTimings timings;     // final when done
  };
  // Waits up to `wait` for new text or the end; returns what arrived since the last take.
  Update take(std::chrono::milliseconds wait);
  // Asks the scheduler to stop this job at its next tick (idempotent; no-op once done).
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }
  // The client's socket, so the scheduler can see a queued job's client leave before the HTTP
  // thread notices (client_socket.hpp). Set before submission; -1: unknown. Safe to poll while
  // the job is neither cancelled nor done: the library closes the socket only after either.
  void set_client_socket(int fd) { client_fd_ = fd; }
  bool client_gone() const;
  // Also wake this signal on every update (set before submission).
  void set_signal(std::shared_ptr<JobSignal> signal) { signal_ = std::move(signal); }

  const JobRequest& request() const { return request_; }
  SteadyClock::time_point submitted() const { return submitted_; }

  // --- scheduler side ---
  void push(std::string_view text, TokenLogprob* lp);
  void finish(Finish f, const JobTimings& t, std::string error = "");

 private:
  JobRequest request_;
  SteadyClock::time_point submitted_;
  std::atomic<bool> cancelled_{false};
  int client_fd_ = -1;
  std::shared_ptr<JobSignal> signal_;
  std::mutex m_;
  std::condition_variable cv_;
  Update pending_;
};

}  // namespace tock::serve
