// The thread pool: every index exactly once, ranges respect the grain, nesting runs inline,
// exceptions reach the caller, and the pool can be resized between uses.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/thread_pool.hpp"

namespace tock {
namespace {

void expect_each_index_once(ThreadPool& pool, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(size_t(n > 0 ? n : 1));
  std::atomic<int64_t> bad_ranges{0};
  pool.parallel_for(n, [&](int64_t b, int64_t e) {
    if (b < 0 || e > n || b >= e) bad_ranges++;
    if (e != n && (e - b) % grain != 0) bad_ranges++;
    for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
  }, grain);
  EXPECT_EQ(bad_ranges.load(), 0) << "n=" << n << " grain=" << grain;
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "index " << i << " n=" << n;
}

TEST(ThreadPool, CoversEveryIndexExactlyOnceForOddSizes) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 3, 7, 31, 33, 577, 1001})
      for (int64_t grain : {1, 4, 16}) expect_each_index_once(pool, n, grain);
  }
}

TEST(ThreadPool, EmptyRangeCallsNothing) {
  ThreadPool pool(3);
  int calls = 0;
  pool.parallel_for(0, [&](int64_t, int64_t) { ++calls; });
  pool.parallel_for(-5, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, NestedCallsRunInlineAndCoverTheirRange) {
  ThreadPool pool(3);
  constexpr int64_t kOuter = 13, kInner = 29;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  pool.parallel_for(kOuter, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(kInner, [&](int64_t jb, int64_t je) {
        for (int64_t j = jb; j < je; ++j) hits[size_t(i * kInner + j)]++;
      });
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, StatsCountJobsAndInlineCalls) {
  ThreadPool pool(2);
  const PoolStats s0 = pool.stats();
  pool.parallel_for(64, [](int64_t, int64_t) {}, 4);  // to the workers
  pool.parallel_for(3, [](int64_t, int64_t) {}, 8);   // n <= grain: inline
  pool.parallel_for(16, [&](int64_t, int64_t) {       // to the workers; the nested calls inline,
    pool.parallel_for(40, [](int64_t, int64_t) {});   // not counted
  }, 8);
  const PoolStats s1 = pool.stats();
  EXPECT_EQ(s1.jobs - s0.jobs, 2u);
  EXPECT_EQ(s1.inline_calls - s0.inline_calls, 1u);
  ThreadPool one(1);
  one.parallel_for(100, [](int64_t, int64_t) {});
  EXPECT_EQ(one.stats().jobs, 0u);
  EXPECT_EQ(one.stats().inline_calls, 1u);
  EXPECT_EQ(one.stats().wait_ns, 0u);
}

TEST(ThreadPool, CallerWaitingForAWorkerIsTimed) {
  // Two chunks: the caller's returns once a worker has started the other, which sleeps 30 ms;
  // so the caller waits at the barrier for most of that sleep. (If the caller took both chunks,
  // no worker ran: its second chunk gives up after 1 s and the call is tried again.)
  ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  bool seen = false;
  for (int attempt = 0; attempt < 5 && !seen; ++attempt) {
    const PoolStats s0 = pool.stats();
    std::atomic<bool> worker_started{false};
    pool.parallel_for(2, [&](int64_t, int64_t) {
      if (std::this_thread::get_id() != caller) {
        worker_started = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        return;
      }
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (!worker_started && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    });
    if (worker_started) {
      seen = true;
      EXPECT_GE(pool.stats().wait_ns - s0.wait_ns, 20'000'000u);
      EXPECT_LE(pool.stats().wait_ns - s0.wait_ns, 2'000'000'000u);
    }
  }
  EXPECT_TRUE(seen) << "no worker took a chunk in 5 calls";
}

TEST(ThreadPool, ManyBackToBackCallsAllComplete) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  for (int rep = 0; rep < 2000; ++rep)
    pool.parallel_for(64, [&](int64_t b, int64_t e) { total += e - b; }, 4);
  EXPECT_EQ(total.load(), 2000 * 64);
}

TEST(ThreadPool, ExceptionFromAChunkReachesTheCaller) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(100, [&](int64_t b, int64_t) {
    if (b == 0) throw std::runtime_error("boom");
  }), std::runtime_error);
  expect_each_index_once(pool, 50, 1);  // still usable afterwards
}

TEST(ThreadPool, ResizeBetweenUses) {
  ThreadPool pool(1);
  expect_each_index_once(pool, 100, 1);
  pool.resize(4);
  EXPECT_EQ(pool.size(), 4);
  expect_each_index_once(pool, 100, 3);
  pool.resize(2);
  expect_each_index_once(pool, 100, 3);
}

TEST(ThreadPool, GlobalPoolSetThreadCount) {
  const int before = thread_count();
  set_thread_count(3);
  EXPECT_EQ(thread_count(), 3);
  std::atomic<int64_t> total{0};
  parallel_for(1000, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 1000);
  set_thread_count(before);
  EXPECT_THROW(set_thread_count(0), std::exception);
}

}  // namespace
}  // namespace tock
