// bench_sgemm: GFLOP/s of sgemm on the GPT trainer's shapes (the "tiny" config: B·T = 4096
// rows, C = 256, vocab 4096) at 1 and 2 threads, against the machine's FMA peak
// (measure_peak_gflops). Usage: bench_sgemm [reps] (default 5; best of reps is printed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "kernels/peak_flops.hpp"
#include "kernels/sgemm.hpp"

namespace {

struct Shape {
  const char* name;
  tock::Op op_a, op_b;
  int64_t M, N, K;
};

double best_seconds(const tock::SgemmArgs& g, int reps) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    tock::sgemm(g);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  const int64_t BT = 4096, C = 256, V = 4096;
  const Shape shapes[] = {
      {"fwd qkv    x·Wᵀ", tock::Op::NoTrans, tock::Op::Trans, BT, 3 * C, C},
      {"fwd fc     x·Wᵀ", tock::Op::NoTrans, tock::Op::Trans, BT, 4 * C, C},
      {"fwd fcproj x·Wᵀ", tock::Op::NoTrans, tock::Op::Trans, BT, C, 4 * C},
      {"fwd logits x·Wᵀ", tock::Op::NoTrans, tock::Op::Trans, BT, V, C},
      {"bwd dX fc  dY·W", tock::Op::NoTrans, tock::Op::NoTrans, BT, C, 4 * C},
      {"bwd dX lm  dY·W", tock::Op::NoTrans, tock::Op::NoTrans, BT, C, V},
      {"bwd dW fc  dYᵀ·X", tock::Op::Trans, tock::Op::NoTrans, 4 * C, C, BT},
      {"bwd dW lm  dYᵀ·X", tock::Op::Trans, tock::Op::NoTrans, V, C, BT},
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::printf("isa %s\n", std::string(tock::isa_name(tock::active_isa())).c_str());
  for (int threads : {1, 2}) {
    tock::set_thread_count(threads);
    std::printf("threads %d: FMA peak %.1f GFLOP/s\n", threads, tock::measure_peak_gflops(threads));
    for (const Shape& s : shapes) {
      tock::SgemmArgs g;
      g.op_a = s.op_a;
      g.op_b = s.op_b;
      g.M = s.M;
      g.N = s.N;
      g.K = s.K;
      g.lda = s.op_a == tock::Op::NoTrans ? s.K : s.M;
      g.ldb = s.op_b == tock::Op::NoTrans ? s.N : s.K;
      g.ldc = s.N;
      std::vector<float> A(size_t(s.M * s.K)), B(size_t(s.K * s.N)), Cm(size_t(s.M * s.N));
      for (float& x : A) x = u(rng);
      for (float& x : B) x = u(rng);
      g.A = A.data();
      g.B = B.data();
      g.C = Cm.data();
      g.accumulate = true;
      const double sec = best_seconds(g, reps);
      std::printf("  %-18s M=%5lld N=%5lld K=%5lld  %7.1f GFLOP/s\n", s.name, (long long)s.M,
                  (long long)s.N, (long long)s.K, 2.0 * double(s.M * s.N * s.K) / sec * 1e-9);
    }
  }
  return 0;
}
