// Kernel speed as Google Benchmark cases: matmul y = x·Wᵀ per weight type on SmolLM2-135M's
// linear-layer shapes (N×K: 576×576 attention, 1536×576 ffn gate/up, 576×1536 ffn down,
// 49152×576 output) at T = 1 (decode) and T = 128 (prefill), and decode attention at depth 1024
// (9 query heads, 3 kv heads, head size 64; f32 and f16 cache, and the scalar reference). Counters, printed as rates ("GFLOP=3.1/s"
// is 3.1 GFLOP/s): GFLOP (2·T·K·N per call; 4·NH·HS·n_kv for attention) and GB (weight or
// KV-cache bytes read per call).
//   bench_kernels_gbench [--threads=N] [--benchmark_filter=Q4_1] [--benchmark_format=json] ...
// Q4_K and Q6_K need K a multiple of 256, so they appear only at K = 1536. Weights are random:
// quantized from N(0, 0.02) with the reference quantizers where Tock has one, random blocks
// with small scales otherwise (speed does not depend on the values). Numbers only.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/block_formats.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"
#include "kernels/matmul.hpp"
#include "kernels/quantize.hpp"

namespace {

std::vector<uint8_t> random_weights(tock::DType t, int64_t K, int64_t N) {
  std::mt19937 rng(42);
  std::vector<uint8_t> w(tock::row_bytes(t, K) * size_t(N));
  if (tock::can_quantize(t)) {
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> row(static_cast<size_t>(K));
    for (int64_t n = 0; n < N; ++n) {
      for (auto& v : row) v = dist(rng);
      tock::quantize_row(t, row.data(), w.data() + size_t(n) * tock::row_bytes(t, K), K);
    }
    return w;
  }
  for (auto& b : w) b = uint8_t(rng());
  // Small positive f16 scales where the block keeps them (Q4_K: d, dmin first; Q6_K: d last).
  const uint16_t small = tock::f32_to_f16(1e-3f);
  const size_t block = tock::dtype_info(t).block_bytes;
  for (size_t off = 0; off < w.size(); off += block) {
    if (t == tock::DType::Q6_K) {
      std::memcpy(&w[off + block - 2], &small, 2);
    } else {
      std::memcpy(&w[off], &small, 2);
      std::memcpy(&w[off + 2], &small, 2);
    }
  }
  return w;
}

void BM_matmul(benchmark::State& state, tock::DType type, int64_t N, int64_t K) {
  const int64_t T = state.range(0);
  const std::vector<uint8_t> w = random_weights(type, K, N);
  tock::TensorView W;
  W.type = type;
  W.n_dims = 2;
  W.ne = {K, N, 1, 1};
  W.data = w.data();
  W.nbytes = w.size();
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(T * K)), y(static_cast<size_t>(T * N));
  for (auto& v : x) v = dist(rng);
  for (auto _ : state) {
    tock::matmul(W, x.data(), y.data(), T);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] = benchmark::Counter(2.0 * double(T * K * N) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB"] = benchmark::Counter(double(w.size()) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Decode attention: one token at position `depth` over depth + 1 cached positions, through the
// model's fast path (attention_causal: flash-style, threaded) with an f32 or f16 cache, and the
// scalar reference attention_one (f32) for scale.
void BM_attention(benchmark::State& state, tock::DType cache_type, bool reference) {
  constexpr int64_t NH = 9, NKV = 3, HS = 64;
  const int64_t depth = state.range(0), n_kv = depth + 1, stride = NKV * HS;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> q(static_cast<size_t>(NH * HS)), out(static_cast<size_t>(NH * HS));
  std::vector<float> k(static_cast<size_t>(n_kv * stride)), v(k.size()), scratch(static_cast<size_t>(n_kv));
  for (auto* buf : {&q, &k, &v})
    for (auto& x : *buf) x = dist(rng);
  std::vector<uint16_t> k16(k.size()), v16(v.size());
  for (size_t i = 0; i < k.size(); ++i) k16[i] = tock::f32_to_f16(k[i]), v16[i] = tock::f32_to_f16(v[i]);
  const bool f16 = cache_type == tock::DType::F16;
  const tock::KvRows kv{f16 ? static_cast<const void*>(k16.data()) : k.data(),
                        f16 ? static_cast<const void*>(v16.data()) : v.data(), cache_type, stride};
  for (auto _ : state) {
    if (reference)
      tock::attention_one(q.data(), k.data(), v.data(), n_kv, NH, NKV, HS, 0.125f, out.data(), scratch.data());
    else
      tock::attention_causal(q.data(), 1, depth, kv, NH, NKV, HS, 0.125f, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double cache_bytes = 2.0 * double(k.size()) * (f16 ? 2 : 4);
  state.counters["GFLOP"] = benchmark::Counter(4.0 * double(NH * HS * n_kv) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB"] = benchmark::Counter(cache_bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  using tock::DType;
  struct Shape { int64_t N, K; };
  const Shape shapes[] = {{576, 576}, {1536, 576}, {576, 1536}, {49152, 576}};
  const DType types[] = {DType::Q4_0, DType::Q4_1, DType::Q8_0, DType::Q4_K, DType::Q6_K,
                         DType::F16, DType::BF16, DType::F32};
  for (DType t : types)
    for (const Shape& s : shapes) {
      if (s.K % tock::dtype_info(t).block_size != 0) continue;
      const std::string name = "matmul/" + std::string(tock::dtype_name(t)) + "/" + std::to_string(s.N) + "x" +
                               std::to_string(s.K);
      benchmark::RegisterBenchmark(name.c_str(), BM_matmul, t, s.N, s.K)
          ->ArgName("T")->Arg(1)->Arg(128)->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
  for (auto [name, type, ref] : {std::tuple{"attention/F32", DType::F32, false},
                                 std::tuple{"attention/F16", DType::F16, false},
                                 std::tuple{"attention_ref/F32", DType::F32, true}})
    benchmark::RegisterBenchmark(name, BM_attention, type, ref)
        ->ArgName("depth")->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  // --threads=N (ours) is taken out before Google Benchmark parses the rest.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) tock::set_thread_count(std::atoi(argv[i] + 10));
    else args.push_back(argv[i]);
  }
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  register_all();
  benchmark::AddCustomContext("tock_threads", std::to_string(tock::thread_pool().size()));
  benchmark::AddCustomContext("tock_isa", std::string(tock::isa_name(tock::active_isa())));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
