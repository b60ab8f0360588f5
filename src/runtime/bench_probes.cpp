// See bench_probes.hpp.
#include "runtime/bench_probes.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/thread_pool.hpp"

namespace tock {

double triad_bandwidth(size_t working_set_bytes, int rounds) {
  const int64_t n = std::max<int64_t>(int64_t(working_set_bytes / (3 * sizeof(float))), 1 << 16);
  // Uninitialised storage, first touched by the pool's threads, so pages land near them.
  std::unique_ptr<float[]> a(new float[size_t(n)]), b(new float[size_t(n)]), c(new float[size_t(n)]);
  constexpr int64_t grain = 1 << 14;
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) a[i] = 0, b[i] = 1, c[i] = 2;
  }, grain);
  double best = 0;
  for (int r = 0; r < std::max(rounds, 1); ++r) {
    const float s = 0.5f + float(r);
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(n, [&](int64_t i0, int64_t i1) {
      float* __restrict pa = a.get();
      const float* __restrict pb = b.get();
      const float* __restrict pc = c.get();
      for (int64_t i = i0; i < i1; ++i) pa[i] = pb[i] + s * pc[i];
    }, grain);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, double(n) * 3 * sizeof(float) / sec);
  }
  // Read a result so the stores cannot be dropped.
  if (a[size_t(n) / 2] != 1 + (0.5f + float(std::max(rounds, 1) - 1)) * 2) std::fprintf(stderr, "triad: wrong sum\n");
  return best;
}

size_t decode_weight_bytes(const GgufFile& file) {
  const bool tied = file.find_tensor("output.weight") == nullptr;
  size_t total = 0;
  for (const auto& t : file.tensors()) {
    if (t.name == "token_embd.weight" && !tied) {
      total += t.nbytes / size_t(std::max<int64_t>(t.ne[1] * t.ne[2] * t.ne[3], 1));  // one row
    } else {
      total += t.nbytes;
    }
  }
  return total;
}

int64_t parameter_count(const GgufFile& file) {
  int64_t n = 0;
  for (const auto& t : file.tensors()) n += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
  return n;
}

MemoryUsage memory_usage() {
  MemoryUsage m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    long long v = 0;
    if (std::sscanf(line, "VmRSS: %lld kB", &v) == 1) m.rss_kib = v;
    if (std::sscanf(line, "VmHWM: %lld kB", &v) == 1) m.hwm_kib = v;
  }
  std::fclose(f);
  return m;
}

}  // namespace tock
