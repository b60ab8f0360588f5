// Matmul speed on SmolLM2-135M's linear-layer shapes, per weight type, ISA level, thread count
// and T (1 = decode matvec, 128/512 = prefill). Prints median ms, GFLOP/s (2·T·K·N per call)
// and weight GB/s (weight bytes per call / time), plus the thread pool's per-call overhead.
//   bench_matmul [--types Q4_1,Q8_0,...] [--T 1,128,512] [--threads 1,2] [--isa scalar|avx2|avx512]
//                [--shapes 576x576,576x1536,...] [--min-ms 200] [--gemm 1] [--packed 0,1,0,1]
// --gemm 1 sends every T (also below matmul's kGemmMinRows) through the GEMM entry (gemm.hpp)
// where it takes the type: to see where the GEMM starts to beat the row kernels.
// --packed: per listed value, a run on the stored rows (0) or on their rows8 form (1: what the
// model binds at the AVX2 level for Q4_0/Q4_1/Q8_0, packed_rows8.hpp), in that order: list
// 0,1,0,1 to alternate the two in one process.
// "cpu ms" is process CPU time per call (mean over the timed calls; spin-waiting workers count),
// the fairer figure on a shared machine. A call's time includes quantizing x to 16-bit blocks
// (quantize_activations.hpp) for quantized weights, as in the model. Machines are noisy: alternate two binaries and compare medians.
// T ≥ 16 on quantized weights runs the prefill GEMM (kernels/gemm.hpp); on CPUs with AMX the
// avx512 level uses AMX tiles unless TOCK_ISA=avx512 is set. Numbers only; never in the tests.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matmul.hpp"
#include "kernels/packed_rows8.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    const size_t e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

tock::DType parse_type(const std::string& name) {
  for (uint32_t id = 0; id < 64; ++id)
    if (const tock::DTypeInfo* info = tock::dtype_info(id); info && info->name == name)
      return tock::DType(id);
  tock::fail("unknown type ", name);
}

// Random valid blocks: random quant bytes, small positive f16 scales in the first field(s).
std::vector<uint8_t> random_weights(tock::DType t, int64_t K, int64_t N, std::mt19937& rng) {
  std::vector<uint8_t> w(tock::row_bytes(t, K) * size_t(N));
  for (auto& b : w) b = uint8_t(rng());
  const tock::DTypeInfo& info = tock::dtype_info(t);
  const uint16_t small = tock::f32_to_f16(0.01f);
  if (t == tock::DType::F32) {
    for (size_t i = 0; i < w.size(); i += 4) {
      const float v = float(int(rng() % 2001) - 1000) * 1e-3f;
      std::memcpy(&w[i], &v, 4);
    }
  } else if (t == tock::DType::F16 || t == tock::DType::BF16) {
    for (size_t i = 0; i < w.size(); i += 2) std::memcpy(&w[i], &small, 2);
  } else {
    const size_t d_at = t == tock::DType::Q6_K ? info.block_bytes - 2 : 0;
    for (size_t off = 0; off < w.size(); off += info.block_bytes) std::memcpy(&w[off + d_at], &small, 2);
  }
  return w;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Process CPU seconds per call of the last median_seconds (all threads together): on a machine
// shared with compilers, wall time includes waiting for a core, CPU time does not.
double g_cpu_per_call = 0;
// Fastest call of the last median_seconds: on a shared machine, the call no neighbour disturbed.
double g_best = 0;

// Median seconds of fn over at least 3 runs and min_ms of total time (after one warm-up).
template <typename F>
double median_seconds(F&& fn, double min_ms) {
  fn();
  const double cpu0 = process_cpu_seconds();
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.size() < 3 || std::chrono::duration<double, std::milli>(Clock::now() - start).count() < min_ms) {
    const auto t0 = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (times.size() >= 10000) break;
  }
  g_cpu_per_call = (process_cpu_seconds() - cpu0) / double(times.size());
  std::sort(times.begin(), times.end());
  g_best = times.front();
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> types = {"Q4_1", "Q8_0", "Q4_0", "Q5_0", "F16", "BF16", "F32", "Q4_K", "Q6_K"};
  std::vector<std::string> Ts = {"1", "128", "512"}, threads = {"1", "2"}, packed = {"0"};
  std::vector<std::string> shapes = {"576x576", "576x1536", "1536x576", "576x49152"};
  tock::Isa isa = tock::active_isa();
  double min_ms = 200;
  bool force_gemm = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--types") types = split(value);
    else if (flag == "--T") Ts = split(value);
    else if (flag == "--threads") threads = split(value);
    else if (flag == "--shapes") shapes = split(value);
    else if (flag == "--isa") isa = tock::parse_isa(value);
    else if (flag == "--min-ms") min_ms = std::stod(value);
    else if (flag == "--gemm") force_gemm = value == "1";
    else if (flag == "--packed") packed = split(value);
    else tock::fail("unknown flag ", flag);
  }
  std::printf("isa %s (detected %s), hardware threads %u\n", std::string(tock::isa_name(isa)).c_str(),
              std::string(tock::isa_name(tock::detected_isa())).c_str(), std::thread::hardware_concurrency());

  for (const auto& th : threads) {  // the pool's own cost: an empty parallel_for over 576 rows
    tock::set_thread_count(std::stoi(th));
    const double s = median_seconds([] { tock::parallel_for(576, [](int64_t, int64_t) {}, 16); }, min_ms);
    std::printf("parallel_for overhead, %s threads: %.2f us/call\n", th.c_str(), s * 1e6);
  }

  std::printf("%-6s %-10s %5s %3s %3s %10s %10s %10s %10s %12s %10s\n", "type", "KxN", "T", "thr", "pk", "ms",
              "GFLOP/s", "W GB/s", "cpu ms", "GFLOP/cpu-s", "best ms");
  std::mt19937 rng(7);
  for (const auto& type_name : types) {
    const tock::DType type = parse_type(type_name);
    for (const auto& shape : shapes) {
      const int64_t K = std::stoll(shape.substr(0, shape.find('x')));
      const int64_t N = std::stoll(shape.substr(shape.find('x') + 1));
      if (K % tock::dtype_info(type).block_size != 0) continue;
      const auto w = random_weights(type, K, N, rng);
      const tock::TensorView plain{std::string("w"), type, 2, {K, N, 1, 1}, w.data(), w.size()};
      std::vector<uint8_t> rows8;
      if (tock::rows8_type(type)) {
        rows8.resize(tock::rows8_bytes(type, K, N));
        tock::pack_rows8(type, w.data(), K, N, 0, (N + tock::kRows8Pair - 1) / tock::kRows8Pair, rows8.data());
      }
      for (const auto& Tstr : Ts) {
        const int64_t T = std::stoll(Tstr);
        std::vector<float> x(size_t(T * K)), y(size_t(T * N));
        for (auto& v : x) v = float(int(rng() % 2001) - 1000) * 1e-3f;
        for (const auto& th : threads) for (const auto& pk : packed) {
          if (pk == "1" && rows8.empty()) continue;
          tock::TensorView W = plain;
          if (pk == "1") W.packed = rows8.data();
          tock::set_thread_count(std::stoi(th));
          const double s = median_seconds([&] {
            if (!(force_gemm && tock::gemm(isa, W, x.data(), y.data(), T)))
              tock::matmul_isa(isa, W, x.data(), y.data(), T);
          }, min_ms);
          std::printf("%-6s %-10s %5lld %3s %3s %10.4f %10.1f %10.1f %10.4f %12.1f %10.4f\n", type_name.c_str(),
                      shape.c_str(), (long long)T, th.c_str(), pk.c_str(), s * 1e3, 2.0 * double(T * K * N) / s * 1e-9,
                      double(w.size()) / s * 1e-9, g_cpu_per_call * 1e3,
                      2.0 * double(T * K * N) / g_cpu_per_call * 1e-9, g_best * 1e3);
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_matmul: %s\n", e.what());
  return 1;
}
