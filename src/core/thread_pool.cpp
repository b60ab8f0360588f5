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

void ThreadPool::run_chunks() {
  t_inside_pool = true;
  for (;;) {
    const int64_t b = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (b >= n_) break;
    const int64_t e = b + chunk_ < n_ ? b + chunk_ : n_;
    try {
      fn_(ctx_, b, e);
    } catch (...) {
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
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
    run_chunks();
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (t_inside_pool || n_threads_ == 1 || n <= grain) {
    fn(ctx, 0, n);
    return;
  }
  std::lock_guard lock(dispatch_);
  // About 4 chunks per thread: balances a noisy machine without much claiming traffic.
  const int64_t per = (n + 4 * n_threads_ - 1) / (4 * n_threads_);
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  chunk_ = (per + grain - 1) / grain * grain;
  error_ = nullptr;
  next_.store(0, std::memory_order_relaxed);
  pending_.store(int(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  run_chunks();
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < 4096) {
      TOCK_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
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
