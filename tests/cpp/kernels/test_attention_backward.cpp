// attention_forward/backward (GEMM-shaped, row blocks of 64 queries, threads over (b, h))
// against attention_forward_ref/attention_backward_ref (the per-position loops) on odd sizes:
// T = 1, T inside one block, T across three blocks (131); one head, several heads. Threaded
// results are bitwise the single-threaded ones.
//
// Tolerance: the same f32 arithmetic in other orders (blocked sums, FMA): outputs and att to
// 2e-6 absolute (they are O(1): att in [0, 1], out a convex mix of v in [-1, 1]); gradients to
// 1e-5 · (1 + |ref|): each sums up to T products of O(1) terms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/attention_backward.hpp"
#include "backward_test_data.hpp"

namespace tock {
namespace {

std::vector<float> random_vec(int64_t n, uint32_t seed) {
  return testing_data::randu(static_cast<size_t>(n), seed);  // uniform in [-1, 1)
}

struct Result {
  std::vector<float> out, att, dinp;
};

Result run(bool ref, const std::vector<float>& inp, const std::vector<float>& dout,
           const std::vector<float>& dinp0, int64_t B, int64_t T, int64_t C, int64_t NH) {
  Result r;
  r.out.assign(static_cast<size_t>(B * T * C), 0.0f);
  r.att.assign(static_cast<size_t>(B * NH * T * T), 0.0f);
  r.dinp = dinp0;  // the backward accumulates
  std::vector<float> scratch(static_cast<size_t>(B * NH * T));
  if (ref) {
    attention_forward_ref(r.out.data(), r.att.data(), inp.data(), B, T, C, NH);
    attention_backward_ref(r.dinp.data(), scratch.data(), dout.data(), inp.data(), r.att.data(),
                           B, T, C, NH);
  } else {
    attention_forward(r.out.data(), r.att.data(), inp.data(), B, T, C, NH);
    attention_backward(r.dinp.data(), scratch.data(), dout.data(), inp.data(), r.att.data(), B, T,
                       C, NH);
  }
  return r;
}

TEST(AttentionBackward, GemmKernelsMatchReferenceLoops) {
  const std::tuple<int64_t, int64_t, int64_t, int64_t> shapes[] = {
      {1, 1, 8, 1}, {2, 5, 6, 2}, {1, 64, 16, 1}, {2, 131, 48, 3}, {1, 70, 36, 4},
  };
  for (const auto& [B, T, C, NH] : shapes) {
    SCOPED_TRACE(testing::Message() << "B=" << B << " T=" << T << " C=" << C << " NH=" << NH);
    const auto inp = random_vec(B * T * 3 * C, uint32_t(T * 3 + C)),
               dout = random_vec(B * T * C, uint32_t(T + 1)),
               dinp0 = random_vec(B * T * 3 * C, uint32_t(T + 2));
    const Result fast = run(false, inp, dout, dinp0, B, T, C, NH);
    const Result ref = run(true, inp, dout, dinp0, B, T, C, NH);
    for (size_t i = 0; i < ref.out.size(); ++i) ASSERT_NEAR(fast.out[i], ref.out[i], 2e-6f) << i;
    for (size_t i = 0; i < ref.att.size(); ++i) ASSERT_NEAR(fast.att[i], ref.att[i], 2e-6f) << i;
    for (size_t i = 0; i < ref.dinp.size(); ++i)
      ASSERT_NEAR(fast.dinp[i], ref.dinp[i], 1e-5f * (1.0f + std::fabs(ref.dinp[i]))) << i;
  }
}

TEST(AttentionBackward, ThreadedIsBitwiseSingleThreaded) {
  const int64_t B = 2, T = 131, C = 48, NH = 3;
  const auto inp = random_vec(B * T * 3 * C, 1), dout = random_vec(B * T * C, 2),
             dinp0 = random_vec(B * T * 3 * C, 3);
  const int before = thread_count();
  set_thread_count(1);
  const Result single = run(false, inp, dout, dinp0, B, T, C, NH);
  set_thread_count(3);
  const Result multi = run(false, inp, dout, dinp0, B, T, C, NH);
  set_thread_count(before);
  EXPECT_EQ(0, std::memcmp(single.out.data(), multi.out.data(), single.out.size() * 4));
  EXPECT_EQ(0, std::memcmp(single.att.data(), multi.att.data(), single.att.size() * 4));
  EXPECT_EQ(0, std::memcmp(single.dinp.data(), multi.dinp.data(), single.dinp.size() * 4));
}

}  // namespace
}  // namespace tock
