// Decode attention as the model runs it: one token at depth D over every layer's f16 KV cache
// (SmolLM2-135M shapes by default: 30 layers, 9 query heads, 3 kv heads, head size 64), with the
// caches evicted between tokens by sweeping a weights-sized buffer, as the real decode's matmuls
// do (at depth 1024 the 30 layers' caches are ~24 MB: they do not stay in cache beside ~100 MB
// of weights). Prints per token: wall µs (median and best) and process CPU µs (spin-waiting
// workers count), and the cache GB/s that wall time implies.
// --prefill T instead times a T-token prompt (positions 0..T−1, causal) per layer.
//   bench_attention_decode [--depths 0,1024,4096] [--threads 1,2] [--isa scalar|avx2] [--tokens 40]
//                          [--layers 30] [--no-evict] [--prefill 512] [--rows] [--offset 16]
// --offset B: each cache buffer starts B bytes past a 64-byte boundary. 16 (the default) is where
// glibc puts large blocks such as KVCache's vectors (a 128-byte f16 row then spans 3 lines); 0
// aligns rows to lines (measured 2026-11-29, 1 thread, depth 1024: no faster, within the noise).
// The cache is head-major as KVCache keeps it (each kv head's positions one run); --rows lays it
// out as rows of all heads per position instead (the layout before 2026-11-28 23:50).
// Machines are noisy: alternate two binaries and compare medians. Numbers only; never a test.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"

#include "bench_args.hpp"

namespace {

using Clock = std::chrono::steady_clock;

using bench::int_list;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<int64_t> depths{0, 1024, 4096}, threads{tock::thread_count()};
  tock::Isa isa = tock::active_isa();
  int64_t tokens = 40, n_layer = 30, prefill = 0;
  int64_t offset = 16;
  bool evict = true, head_major = true;
  constexpr int64_t NH = 9, NKV = 3, HS = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) tock::fail("bench_attention_decode: ", a, " needs a value");
      return argv[++i];
    };
    if (a == "--depths") depths = int_list(next());
    else if (a == "--threads") threads = int_list(next());
    else if (a == "--tokens") tokens = std::stoll(next());
    else if (a == "--layers") n_layer = std::stoll(next());
    else if (a == "--no-evict") evict = false;
    else if (a == "--rows") head_major = false;
    else if (a == "--prefill") prefill = std::stoll(next());
    else if (a == "--offset") offset = std::stoll(next());
    else if (a == "--isa") isa = tock::parse_isa(next());
    else tock::fail("bench_attention_decode: unknown flag '", a, "'");
  }
  if (prefill > 0) depths = {prefill - 1};  // the last token's position
  const int64_t max_depth = *std::max_element(depths.begin(), depths.end());
  const int64_t row = NKV * HS, n_pos = max_depth + 1;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  // Per layer: K and V caches, n_pos × row f16 (NKV runs of n_pos × HS, or n_pos rows).
  if (offset < 0 || offset % 2 != 0 || offset >= 64) tock::fail("bench_attention_decode: --offset ", offset, " is not even in [0, 64)");
  std::vector<std::vector<uint16_t>> Kb(static_cast<size_t>(n_layer)), Vb(static_cast<size_t>(n_layer));
  std::vector<uint16_t*> K(static_cast<size_t>(n_layer)), V(static_cast<size_t>(n_layer));
  auto place = [&](std::vector<uint16_t>& b) {  // n_pos·row values from `offset` past a 64-byte boundary
    b.resize(size_t(n_pos * row + 64));
    const uintptr_t a = (reinterpret_cast<uintptr_t>(b.data()) + 63) / 64 * 64 + uintptr_t(offset);
    uint16_t* p = reinterpret_cast<uint16_t*>(a);
    for (int64_t i = 0; i < n_pos * row; ++i) p[i] = tock::f32_to_f16(dist(rng));
    return p;
  };
  for (int64_t l = 0; l < n_layer; ++l) {
    K[size_t(l)] = place(Kb[size_t(l)]);
    V[size_t(l)] = place(Vb[size_t(l)]);
  }
  const int64_t T = prefill > 0 ? prefill : 1;
  std::vector<float> q(static_cast<size_t>(T * NH * HS)), out(q.size());
  for (auto& x : q) x = dist(rng);
  std::vector<float> sweep(static_cast<size_t>(evict ? 128 << 18 : 0), 1.0f);  // 128 MiB
  float sink = 0.0f;

  std::printf("isa %s, %lld layers, NH %lld, NKV %lld, HS %lld, f16 cache (%s, %lld bytes past 64), %s\n", std::string(tock::isa_name(isa)).c_str(),
              (long long)n_layer, (long long)NH, (long long)NKV, (long long)HS,
              head_major ? "head-major" : "rows of all heads", (long long)offset, evict ? "caches evicted between tokens" : "caches warm");
  if (prefill > 0) std::printf("prefill: %lld tokens per call (depth = the last one's position)\n", (long long)T);
  std::printf("%8s %7s %12s %12s %12s %10s\n", "depth", "threads", "median us", "best us", "cpu us", "cache GB/s");
  for (int64_t t : threads) {
    tock::set_thread_count(int(t));
    for (int64_t depth : depths) {
      std::vector<double> wall;
      double cpu = 0.0;
      for (int64_t k = 0; k < tokens + 2; ++k) {
        for (size_t i = 0; i < sweep.size(); i += 16) sink += sweep[i];  // one load per line
        const double c0 = cpu_seconds();
        const auto t0 = Clock::now();
        for (int64_t l = 0; l < n_layer; ++l) {
          const tock::KvRows kv = head_major ? tock::KvRows{K[size_t(l)], V[size_t(l)], tock::DType::F16, HS, n_pos * HS}
                                             : tock::KvRows{K[size_t(l)], V[size_t(l)], tock::DType::F16, row};
          tock::attention_causal_isa(isa, q.data(), T, depth + 1 - T, kv, NH, NKV, HS, 0.125f, out.data());
        }
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (k >= 2) wall.push_back(us), cpu += (cpu_seconds() - c0) * 1e6;  // 2 warm-up tokens
        sink += out[0];
      }
      std::sort(wall.begin(), wall.end());
      const double med = wall[wall.size() / 2];
      const double gb = 2.0 * double(n_layer * (depth + 1) * row) * 2.0 / 1e9;
      std::printf("%8lld %7lld %12.1f %12.1f %12.1f %10.2f\n", (long long)depth, (long long)t, med, wall[0],
                  cpu / double(tokens), gb / (med * 1e-6));
    }
  }
  double la[3] = {0, 0, 0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3) la[0] = -1;
    std::fclose(f);
  }
  std::printf("load average %.2f %.2f %.2f (sink %g)\n", la[0], la[1], la[2], double(sink));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
