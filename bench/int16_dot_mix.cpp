// The instruction-level ceiling of the int16 dot product on this CPU (no AVX-512 VNNI): how many
// vpmaddwd a cycle each instruction mix sustains, one thread. The AVX2 GEMM (gemm_avx2.cpp)
// multiplies int16 weight codes by int16 activations with vpmaddwd and adds the i32 pairs with
// vpaddd, so the "madd + add" mix bounds its speed: on Zen 3 each instruction alone issues at 2 a
// cycle, the mix at ~1.6. Core clock from a chain of dependent adds (1 cycle each); the rdtsc
// clock can differ from it. x86-64 with AVX2 only; elsewhere it says so and exits.
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "core/cpu_features.hpp"

namespace {

constexpr long kIters = 50'000'000;

template <typename Body>
double seconds(Body body) {
  const auto t0 = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2")

namespace {

double core_hz() {
  long x = 0;
  const double s = seconds([&] {
    for (long i = 0; i < kIters; ++i)
      asm volatile("add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n"
                   "add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0" : "+r"(x));
  });
  return 10.0 * kIters / s;
}

void report(const char* name, int madds_per_iter, double s, double hz) {
  std::printf("%-58s %5.2f vpmaddwd/cycle\n", name, double(kIters) * madds_per_iter / (s * hz));
}

}  // namespace

int main() {
  if (int(tock::detected_isa()) < int(tock::Isa::Avx2)) {
    std::printf("no AVX2 here: nothing to measure\n");
    return 0;
  }
  const double hz = core_hz();
  std::printf("core clock (dependent adds): %.2f GHz\n", hz / 1e9);
  alignas(32) int32_t q[16] = {3, 5, 7};
  report("vpmaddwd alone (8 independent)", 8, seconds([] {
    for (long i = 0; i < kIters; ++i)
      asm volatile("vpmaddwd %%ymm0,%%ymm1,%%ymm2\n vpmaddwd %%ymm0,%%ymm1,%%ymm3\n vpmaddwd %%ymm0,%%ymm1,%%ymm4\n"
                   "vpmaddwd %%ymm0,%%ymm1,%%ymm5\n vpmaddwd %%ymm0,%%ymm1,%%ymm6\n vpmaddwd %%ymm0,%%ymm1,%%ymm7\n"
                   "vpmaddwd %%ymm0,%%ymm1,%%ymm8\n vpmaddwd %%ymm0,%%ymm1,%%ymm9\n"
                   ::: "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9");
  }), hz);
  report("vpmaddwd + vpaddd into 4 sums (the dot product, no loads)", 8, seconds([] {
    for (long i = 0; i < kIters; ++i)
      asm volatile("vpmaddwd %%ymm0,%%ymm1,%%ymm2\n vpmaddwd %%ymm0,%%ymm1,%%ymm3\n vpmaddwd %%ymm0,%%ymm1,%%ymm4\n"
                   "vpmaddwd %%ymm0,%%ymm1,%%ymm5\n vpmaddwd %%ymm0,%%ymm1,%%ymm6\n vpmaddwd %%ymm0,%%ymm1,%%ymm7\n"
                   "vpmaddwd %%ymm0,%%ymm1,%%ymm8\n vpmaddwd %%ymm0,%%ymm1,%%ymm9\n"
                   "vpaddd %%ymm2,%%ymm10,%%ymm10\n vpaddd %%ymm3,%%ymm11,%%ymm11\n vpaddd %%ymm4,%%ymm12,%%ymm12\n"
                   "vpaddd %%ymm5,%%ymm13,%%ymm13\n vpaddd %%ymm6,%%ymm10,%%ymm10\n vpaddd %%ymm7,%%ymm11,%%ymm11\n"
                   "vpaddd %%ymm8,%%ymm12,%%ymm12\n vpaddd %%ymm9,%%ymm13,%%ymm13\n"
                   ::: "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                       "xmm13");
  }), hz);
  report("+ a vpbroadcastd from memory per 2 vpmaddwd (GEMM's step)", 6, seconds([&] {
    for (long i = 0; i < kIters; ++i)
      asm volatile(
          "vpbroadcastd 0(%0), %%ymm14\n vpmaddwd %%ymm14,%%ymm0,%%ymm15\n vpaddd %%ymm15,%%ymm2,%%ymm2\n"
          "vpmaddwd %%ymm14,%%ymm1,%%ymm14\n vpaddd %%ymm14,%%ymm3,%%ymm3\n"
          "vpbroadcastd 4(%0), %%ymm12\n vpmaddwd %%ymm12,%%ymm0,%%ymm13\n vpaddd %%ymm13,%%ymm4,%%ymm4\n"
          "vpmaddwd %%ymm12,%%ymm1,%%ymm12\n vpaddd %%ymm12,%%ymm5,%%ymm5\n"
          "vpbroadcastd 8(%0), %%ymm10\n vpmaddwd %%ymm10,%%ymm0,%%ymm11\n vpaddd %%ymm11,%%ymm6,%%ymm6\n"
          "vpmaddwd %%ymm10,%%ymm1,%%ymm10\n vpaddd %%ymm10,%%ymm7,%%ymm7\n"
          :: "r"(q) : "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                      "xmm15", "memory");
  }), hz);
  std::printf("(int16 GEMM ceiling on N cores ~ rate x 16 multiply-adds x clock x N)\n");
  return 0;
}

#pragma GCC pop_options
#else
int main() {
  std::printf("not x86-64: nothing to measure\n");
  return 0;
}
#endif
