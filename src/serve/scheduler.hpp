// Continuous batching: one thread owns the model and runs ticks. Each tick is ONE forward pass
// over every active sequence: the next token of each decoding sequence plus a chunk of prompt
// from sequences still in prefill (chunked, so a long prompt never stalls the others for more
// than a chunk). Requests wait in a bounded queue and join at the next tick when a slot is free;
// finished, cancelled and timed-out ones leave at the tick that sees it.
//
// Slots: sequence id s of one KVCache is slot s. A slot keeps the tokens of its last sequence in
// its cache after the request ends, so a new prompt sharing a prefix with any slot's cached
// tokens (the same system prompt, a chat's earlier turns) starts from that prefix: in place when
// it is the slot's own, else copied (KVCache::copy_prefix). Prompts in flight share too: a
// prompt whose beginning an older one still in prefill will compute (a request's n choices,
// prompts arriving together with one system prompt) waits for those tokens and copies them.
// A free slot with no useful prefix is taken least recently used first.
//
// Greedy output does not depend on the batch: every op of the forward pass treats rows
// independently (per-row activation quantization, attention over the row's own sequence), and
// each sequence has its own sampler. Bit for bit where a row's matmuls give the same bits from
// every kernel the batch size may pick: at AVX2 the small-T kernel (1..15 rows) and the GEMM (16
// or more: a prefill tick with decode tokens riding along) do for Q8_0/Q4_0/Q4_1/Q5_0/Q5_1
// (test_matmul_small), and so does attention for a query row whatever tile computes it
// (test_attention), so a copied prefix gives the same bits as a computed one; test_serve_api and
// test_serve_shared_prefix check replies' log-probabilities alone, batched and shared for
// equality. Float and K-quant weights, and the AVX-512/AMX kernels, are not held to this yet:
// there a token may round differently alone and batched (f32 sums in another order).
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "model/model.hpp"
#include "runtime/sampler.hpp"
#include "runtime/stop_strings.hpp"
#include "serve/job.hpp"
#include "serve/server_metrics.hpp"
#include "text/streaming_decoder.hpp"
#include "text/tokenizer.hpp"

namespace tock::serve {

struct SchedulerOptions {
  int parallel = 4;          // slots (sequences decoding together)
  int64_t ctx = 2048;        // positions per slot
  int queue = 64;            // requests waiting beyond the slots; more: 503
  int batch_tokens = 256;    // tokens per forward pass (decode tokens + prompt chunks)
};

class Scheduler {
 public:
  Scheduler(Model& model, const Tokenizer& tok, SchedulerOptions options, ServerMetrics& metrics);
  ~Scheduler();  // stops the thread; unfinished jobs end as cancelled

  // Runs one real forward pass (the warm-up), then starts the tick thread.
  void start();
  bool ready() const { return ready_.load(); }

  // Queues one request's jobs (its choices, made and set up by the caller: Job::set_client_socket,
  // Job::set_signal) together, adjacent in the queue: all of them, or none with ApiError 503 when
  // the free slots and queue lack room.
  void submit_many(const std::vector<std::shared_ptr<Job>>& jobs);

  int64_t queued() const;
  int64_t active() const;
  const SchedulerOptions& options() const { return opt_; }

 private:
  struct Slot {
    std::shared_ptr<Job> job;          // null: free
    std::vector<int32_t> cached;       // tokens whose K/V are in this slot's cache
    size_t prompt_done = 0;            // prompt tokens in the cache
    int32_t next = -1;                 // sampled, not yet in the cache
    std::optional<Sampler> sampler;
    std::optional<StreamingDecoder> decoder;
    std::optional<StopStrings> stops;
    JobTimings timings;
    SteadyClock::time_point t_slot, t_first, t_last;
    uint64_t admitted = 0;             // admission order: older prompts prefill first
    uint64_t released = 0;             // when its last job ended (free slots: least recent reused first)
  };

  void loop();
  void admit_locked();
  void drop_dead_locked();
  void start_in_slot(int s, std::shared_ptr<Job> job);
  void adopt_prefix(int s);
  bool waits_for_shared_prefix(int s) const;
  void tick();
  void on_logits(int s, const float* logits, int32_t token);  // token: what slot s's sampler drew
  void end(int s, Finish f, std::string error = "");
  void fail_all(const std::string& error);

  Model& model_;
  const Tokenizer& tok_;
  SchedulerOptions opt_;
  ServerMetrics& metrics_;
  KVCache cache_;
  std::vector<Slot> slots_;
  Batch batch_;
  std::vector<float> logits_;
  std::vector<int32_t> sampled_;  // this tick's drawn token per logits row
  uint64_t admissions_ = 0;
  uint64_t releases_ = 0;

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int64_t active_ = 0;  // mirrors the slots for active() (under m_)
  bool stopping_ = false;
  std::atomic<bool> ready_{false};
  std::thread thread_;
};

}  // namespace tock::serve
