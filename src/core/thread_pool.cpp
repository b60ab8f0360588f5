#include "core/thread_pool.hpp"

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TOCK_PAUSE() _mm_pause()
#else
#define TOCK_PAUSE() ((void)0)
#endif

namespace tock {
namespace {

thread_local bool t_inside_pool = false;  // true while running a chunk: nested calls go inline

// How long a worker spins for the next job before sleeping. Decode issues jobs every few
// microseconds; a sleeping worker costs a futex wake (~5-20 us) to start again.
constexpr auto kSpin = std::chrono::microseconds(200);

int threads_from_env() {
  if (const char* env = std::getenv("TOCK_THREADS"); env && *env) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 1 || n > 1024)
      fail("TOCK_THREADS='", env, "' is not a thread count between 1 and 1024");
    return int(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) { start(n_threads); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::resize(int n_threads) {
  std::lock_guard lock(dispatch_);
  stop();
  start(n_threads);
}

void ThreadPool::start(int n_threads) {
  if (n_threads < 1) fail("thread pool: thread count must be at least 1, got ", n_threads);
  n_threads_ = n_threads;
  stopping_.store(false);
  workers_.reserve(size_t(n_threads - 1));
  // The generation is read here, not in the new thread: a job posted before the thread first
  // runs must still count as new to it.
  const uint32_t seen = generation_.load(std::memory_order_acquire);
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, seen] { worker_loop(seen); });
}

void ThreadPool::stop() {
  stopping_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::run_chunks(Job& job) {
  t_inside_pool = true;
  for (;;) {
    const int64_t b = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
    if (b >= job.n) break;
    const int64_t e = b + job.chunk < job.n ? b + job.chunk : job.n;
    try {
      job.fn(job.ctx, b, e);
    } catch (...) {
      std::lock_guard lock(error_mutex_);
      if (!job.error) job.error = std::current_exception();
    }
    job.done.fetch_add(e - b, std::memory_order_acq_rel);
  }
  t_inside_pool = false;
}

void ThreadPool::worker_loop(uint32_t seen) {
  for (;;) {
    // Spin for a while (cheap wake-up), then sleep until the generation changes.
    auto deadline = std::chrono::steady_clock::now() + kSpin;
    uint32_t g;
    for (int i = 0;; ++i) {
      g = generation_.load(std::memory_order_acquire);
      if (g != seen) break;
      TOCK_PAUSE();
      if ((i & 255) == 255 && std::chrono::steady_clock::now() > deadline) {
        generation_.wait(seen, std::memory_order_acquire);
        deadline = std::chrono::steady_clock::now() + kSpin;
      }
    }
    seen = g;
    if (stopping_.load(std::memory_order_acquire)) return;
    // Join job g only if it is still the current one: once registered in `active`, the
    // caller will not rewrite this slot (it waits for active == 0 first). A worker that
    // wakes late finds a newer generation and skips; the caller never waits for it.
    Job& job = jobs_[g & 1];
    job.active.fetch_add(1, std::memory_order_seq_cst);
    if (generation_.load(std::memory_order_seq_cst) == g) run_chunks(job);
    job.active.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (t_inside_pool || n_threads_ == 1 || n <= grain) {
    if (!t_inside_pool) n_inline_.fetch_add(1, std::memory_order_relaxed);  // nested: not counted
    fn(ctx, 0, n);
    return;
  }
  std::lock_guard lock(dispatch_);
  const uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
  Job& job = jobs_[g & 1];
  // A worker that joined the job two generations ago may still be leaving this slot.
  for (int i = 0; job.active.load(std::memory_order_seq_cst) != 0; ++i) {
    if (i < 4096) TOCK_PAUSE(); else std::this_thread::yield();
  }
  // About 4 chunks per thread: balances a noisy machine without much claiming traffic.
  const int64_t per = (n + 4 * n_threads_ - 1) / (4 * n_threads_);
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.chunk = (per + grain - 1) / grain * grain;
  job.error = nullptr;
  job.next.store(0, std::memory_order_relaxed);
  job.done.store(0, std::memory_order_relaxed);
  generation_.store(g, std::memory_order_seq_cst);
  generation_.notify_all();
  run_chunks(job);
  n_jobs_.fetch_add(1, std::memory_order_relaxed);
  // Wait for chunks other threads claimed, not for every worker to check in. The clock is read
  // only when there is a wait, so a balanced call costs nothing extra.
  if (job.done.load(std::memory_order_acquire) != n) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; job.done.load(std::memory_order_acquire) != n; ++i) {
      if (i < 4096) TOCK_PAUSE(); else std::this_thread::yield();
    }
    const auto waited = std::chrono::steady_clock::now() - t0;
    wait_ns_.fetch_add(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
                       std::memory_order_relaxed);
  }
  if (job.error) std::rethrow_exception(std::exchange(job.error, nullptr));
}

ThreadPool& thread_pool() {
  static ThreadPool pool(threads_from_env());
  return pool;
}

void set_thread_count(int n) {
  if (n < 1) fail("thread count must be at least 1, got ", n);
  if (thread_pool().size() != n) thread_pool().resize(n);
}

int thread_count() { return thread_pool().size(); }

}  // namespace tock
