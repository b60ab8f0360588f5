// A small persistent thread pool: the one piece of global mutable state Tock allows.
// parallel_for splits [0, n) into chunks run by the workers and the calling thread; workers
// spin briefly between calls (decode issues ~200 calls per token) and then sleep on a futex.
// No allocation per call. It counts its own synchronisation cost (stats()): how many calls went
// to the workers and how long the caller waited at the end of them for chunks other threads held.
// Not here: task graphs, futures, work stealing.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tock {

// Totals since the pool was created (read by `tock bench`: per-token figures are differences).
struct PoolStats {
  uint64_t jobs = 0;          // parallel_for calls handed to the workers
  uint64_t inline_calls = 0;  // calls the caller ran alone (1 thread, or n <= grain); nested ones
                              // (from inside a chunk) are not counted
  uint64_t wait_ns = 0;       // caller's time at the barrier: own chunks done, others' still running
};

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads counts the caller: 1 = no workers
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  PoolStats stats() const {
    return {n_jobs_.load(std::memory_order_relaxed), n_inline_.load(std::memory_order_relaxed),
            wait_ns_.load(std::memory_order_relaxed)};
  }
  // Stops the workers and starts n_threads - 1 new ones. Not while a parallel_for runs.
  void resize(int n_threads);

  // Calls fn(begin, end) on disjoint ranges that together cover [0, n) exactly once; each
  // range but the last is a multiple of grain long. Returns when all ranges are done and
  // rethrows the first exception fn threw. Nested calls (from inside fn) run inline.
  template <typename F>
  void parallel_for(int64_t n, F&& fn, int64_t grain = 1) {
    using Fn = std::remove_reference_t<F>;
    run(n, grain, [](void* ctx, int64_t b, int64_t e) { (*static_cast<Fn*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
  // One parallel_for. Two slots alternate by generation, so a worker waking late for the
  // previous job never reads fields being written for the next one.
  struct Job {
    RangeFn fn = nullptr;
    void* ctx = nullptr;
    int64_t n = 0, chunk = 1;
    std::exception_ptr error;                  // first exception (under error_mutex_)
    alignas(64) std::atomic<int64_t> next{0};  // start of the next unclaimed chunk
    alignas(64) std::atomic<int64_t> done{0};  // items finished
    alignas(64) std::atomic<int> active{0};    // workers inside this slot
  };
  void run(int64_t n, int64_t grain, RangeFn fn, void* ctx);
  void start(int n_threads);
  void stop();
  void worker_loop(uint32_t seen);  // seen: the generation already handled
  void run_chunks(Job& job);        // takes chunks until none are left

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex dispatch_;  // one parallel_for at a time from outside the pool
  Job jobs_[2];
  alignas(64) std::atomic<uint32_t> generation_{0};  // bumped (seq_cst) to post a job
  std::atomic<bool> stopping_{false};
  std::mutex error_mutex_;
  // Written by the dispatching thread only; atomics so stats() may read them from anywhere.
  std::atomic<uint64_t> n_jobs_{0}, n_inline_{0}, wait_ns_{0};
};

// The process-wide pool, created on first use with TOCK_THREADS or hardware_concurrency.
ThreadPool& thread_pool();
// Sets the pool's thread count (before or between uses); n < 1 is an Error.
void set_thread_count(int n);
int thread_count();

template <typename F>
void parallel_for(int64_t n, F&& fn, int64_t grain = 1) {
  thread_pool().parallel_for(n, std::forward<F>(fn), grain);
}

}  // namespace tock
