// Grouped-query attention for training. Its plain loops on packed q, k, v against the fused-qkv
// multi-head entry points of attention_backward.hpp (the same loops reached through row strides
// 3C): with NKV = NH they must agree, and with NKV < NH the GQA result must equal MHA on k/v
// heads repeated over each group, the gradients of a shared kv head being the sum over its
// group. Then the sgemm version against the loops, across the 64-query block boundary; strided
// rows against packed ones, bitwise, leaving the padding untouched; threads against one thread.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/attention_backward.hpp"
#include "kernels/gqa_attention_backward.hpp"
#include "backward_test_data.hpp"

namespace {

using tock::testing_data::randn;

void check_against_mha(int64_t B, int64_t T, int64_t NH, int64_t NKV, int64_t HS) {
  const int64_t C = NH * HS, KV = NKV * HS, BT = B * T, group = NH / NKV;
  const auto q = randn(static_cast<size_t>(BT * C), 1), k = randn(static_cast<size_t>(BT * KV), 2),
             v = randn(static_cast<size_t>(BT * KV), 3), dout = randn(static_cast<size_t>(BT * C), 4);
  // MHA input: per position [q | k repeated | v repeated], head h reading kv head h / group.
  std::vector<float> qkv(static_cast<size_t>(BT * 3 * C));
  for (int64_t n = 0; n < BT; ++n)
    for (int64_t h = 0; h < NH; ++h)
      for (int64_t i = 0; i < HS; ++i) {
        float* row = qkv.data() + n * 3 * C;
        row[h * HS + i] = q[static_cast<size_t>(n * C + h * HS + i)];
        row[C + h * HS + i] = k[static_cast<size_t>(n * KV + (h / group) * HS + i)];
        row[2 * C + h * HS + i] = v[static_cast<size_t>(n * KV + (h / group) * HS + i)];
      }
  std::vector<float> out_ref(static_cast<size_t>(BT * C)), att_ref(static_cast<size_t>(B * NH * T * T));
  tock::attention_forward_ref(out_ref.data(), att_ref.data(), qkv.data(), B, T, C, NH);
  std::vector<float> dqkv(static_cast<size_t>(BT * 3 * C), 0.0f), scratch_ref(static_cast<size_t>(B * NH * T));
  tock::attention_backward_ref(dqkv.data(), scratch_ref.data(), dout.data(), qkv.data(),
                           att_ref.data(), B, T, C, NH);

  std::vector<float> out(static_cast<size_t>(BT * C)), att(static_cast<size_t>(B * NH * T * T));
  tock::gqa_attention_forward_ref(out.data(), att.data(), q.data(), k.data(), v.data(), B, T, NH, NKV, HS);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], out_ref[i], 1e-5) << "out " << i;
  for (size_t i = 0; i < att.size(); ++i) ASSERT_NEAR(att[i], att_ref[i], 1e-6) << "att " << i;
  std::vector<float> dq(static_cast<size_t>(BT * C), 0.5f), dk(static_cast<size_t>(BT * KV), 0.5f), dv(static_cast<size_t>(BT * KV), 0.5f),
      scratch(static_cast<size_t>(B * NKV * T));  // start at 0.5: the backward accumulates
  tock::gqa_attention_backward_ref(dq.data(), dk.data(), dv.data(), scratch.data(), dout.data(),
                               q.data(), k.data(), v.data(), att.data(), B, T, NH, NKV, HS);
  std::vector<double> dk_ref(static_cast<size_t>(BT * KV), 0.5), dv_ref(static_cast<size_t>(BT * KV), 0.5);
  for (int64_t n = 0; n < BT; ++n)
    for (int64_t h = 0; h < NH; ++h)
      for (int64_t i = 0; i < HS; ++i) {
        const float* row = dqkv.data() + n * 3 * C;
        ASSERT_NEAR(dq[static_cast<size_t>(n * C + h * HS + i)], 0.5f + row[h * HS + i], 1e-5) << "dq";
        dk_ref[static_cast<size_t>(n * KV + (h / group) * HS + i)] += row[C + h * HS + i];
        dv_ref[static_cast<size_t>(n * KV + (h / group) * HS + i)] += row[2 * C + h * HS + i];
      }
  for (size_t i = 0; i < dk.size(); ++i) {
    ASSERT_NEAR(dk[i], dk_ref[i], 1e-5) << "dk " << i;
    ASSERT_NEAR(dv[i], dv_ref[i], 1e-5) << "dv " << i;
  }
}

TEST(GqaAttentionBackward, EqualHeadsMatchMultiHeadAttention) { check_against_mha(2, 7, 3, 3, 5); }

TEST(GqaAttentionBackward, GroupsMatchMultiHeadOnRepeatedKvHeads) {
  check_against_mha(2, 9, 6, 2, 5);   // groups of 3
  check_against_mha(3, 5, 4, 1, 8);   // one kv head for all (multi-query)
}

TEST(GqaAttentionBackward, SgemmVersionMatchesLoops) {
  const int64_t B = 2, T = 131, NH = 6, NKV = 2, HS = 12;  // 3 query blocks, the last ragged
  const int64_t C = NH * HS, KV = NKV * HS, BT = B * T;
  const auto q = randn(static_cast<size_t>(BT * C), 5), k = randn(static_cast<size_t>(BT * KV), 6),
             v = randn(static_cast<size_t>(BT * KV), 7), dout = randn(static_cast<size_t>(BT * C), 8);
  std::vector<float> out(static_cast<size_t>(BT * C)), out_ref(out.size()),
      att(static_cast<size_t>(B * NH * T * T)), att_ref(att.size());
  tock::gqa_attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), B, T, NH, NKV, HS);
  tock::gqa_attention_forward_ref(out_ref.data(), att_ref.data(), q.data(), k.data(), v.data(), B, T,
                                  NH, NKV, HS);
  for (size_t i = 0; i < att.size(); ++i) ASSERT_NEAR(att[i], att_ref[i], 1e-6) << "att " << i;
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], out_ref[i], 1e-5) << "out " << i;
  // Non-zero starting gradients: both accumulate.
  auto dq = randn(q.size(), 9), dk = randn(k.size(), 10), dv = randn(v.size(), 11);
  auto dq_ref = dq, dk_ref = dk, dv_ref = dv;
  std::vector<float> scratch(static_cast<size_t>(B * NKV * T));
  tock::gqa_attention_backward(dq.data(), dk.data(), dv.data(), scratch.data(), dout.data(), q.data(),
                               k.data(), v.data(), att.data(), B, T, NH, NKV, HS);
  tock::gqa_attention_backward_ref(dq_ref.data(), dk_ref.data(), dv_ref.data(), scratch.data(),
                                   dout.data(), q.data(), k.data(), v.data(), att_ref.data(), B, T,
                                   NH, NKV, HS);
  for (size_t i = 0; i < dq.size(); ++i) ASSERT_NEAR(dq[i], dq_ref[i], 1e-4) << "dq " << i;
  for (size_t i = 0; i < dk.size(); ++i) ASSERT_NEAR(dk[i], dk_ref[i], 1e-4) << "dk " << i;
  for (size_t i = 0; i < dv.size(); ++i) ASSERT_NEAR(dv[i], dv_ref[i], 1e-4) << "dv " << i;
}

// One GQA run's outputs.
struct GqaResult {
  std::vector<float> out, att, dq, dk, dv;
};

// q, k, v: packed; lq, lkv: the row strides to lay them (and the gradients) out with, the
// columns past NH·HS (NKV·HS) holding a sentinel the kernels must neither read nor write.
GqaResult run_gqa(int64_t B, int64_t T, int64_t NH, int64_t NKV, int64_t HS, int64_t lq,
                  int64_t lkv) {
  const int64_t C = NH * HS, KV = NKV * HS, BT = B * T;
  const auto q = randn(static_cast<size_t>(BT * C), 21), k = randn(static_cast<size_t>(BT * KV), 22),
             v = randn(static_cast<size_t>(BT * KV), 23), dout = randn(static_cast<size_t>(BT * C), 24),
             dq0 = randn(q.size(), 25), dk0 = randn(k.size(), 26), dv0 = randn(v.size(), 27);
  const float pad = 1e30f;  // would swamp any result it leaked into
  auto spread = [&](const std::vector<float>& x, int64_t width, int64_t ld) {
    std::vector<float> y(static_cast<size_t>(BT * ld), pad);
    for (int64_t n = 0; n < BT; ++n)
      std::memcpy(y.data() + n * ld, x.data() + n * width, static_cast<size_t>(width) * sizeof(float));
    return y;
  };
  const auto qs = spread(q, C, lq), ks = spread(k, KV, lkv), vs = spread(v, KV, lkv);
  auto dqs = spread(dq0, C, lq), dks = spread(dk0, KV, lkv), dvs = spread(dv0, KV, lkv);
  GqaResult r;
  r.out.assign(static_cast<size_t>(BT * C), 0.0f);
  r.att.assign(static_cast<size_t>(B * NH * T * T), 0.0f);
  const tock::QkvStrides ld{lq, lkv};
  tock::gqa_attention_forward(r.out.data(), r.att.data(), qs.data(), ks.data(), vs.data(), B, T, NH,
                              NKV, HS, ld);
  tock::gqa_attention_backward(dqs.data(), dks.data(), dvs.data(), nullptr, dout.data(), qs.data(),
                               ks.data(), vs.data(), r.att.data(), B, T, NH, NKV, HS, ld);
  // Back to packed, checking the padding came through untouched.
  auto gather = [&](const std::vector<float>& y, int64_t width, int64_t ld_) {
    std::vector<float> x(static_cast<size_t>(BT * width));
    for (int64_t n = 0; n < BT; ++n) {
      std::memcpy(x.data() + n * width, y.data() + n * ld_, static_cast<size_t>(width) * sizeof(float));
      for (int64_t i = width; i < ld_; ++i) EXPECT_EQ(y[static_cast<size_t>(n * ld_ + i)], pad);
    }
    return x;
  };
  r.dq = gather(dqs, C, lq);
  r.dk = gather(dks, KV, lkv);
  r.dv = gather(dvs, KV, lkv);
  return r;
}

void expect_bitwise(const GqaResult& a, const GqaResult& b) {
  auto same = [](const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
  };
  EXPECT_TRUE(same(a.out, b.out)) << "out";
  EXPECT_TRUE(same(a.att, b.att)) << "att";
  EXPECT_TRUE(same(a.dq, b.dq)) << "dq";
  EXPECT_TRUE(same(a.dk, b.dk)) << "dk";
  EXPECT_TRUE(same(a.dv, b.dv)) << "dv";
}

TEST(GqaAttentionBackward, StridedRowsAreBitwisePackedOnes) {
  const int64_t B = 2, T = 70, NH = 6, NKV = 2, HS = 5;  // 2 query blocks; groups of 3
  const GqaResult packed = run_gqa(B, T, NH, NKV, HS, NH * HS, NKV * HS);
  const GqaResult strided = run_gqa(B, T, NH, NKV, HS, NH * HS + 7, NKV * HS + 3);
  expect_bitwise(packed, strided);
}

TEST(GqaAttentionBackward, ThreadedIsBitwiseSingleThreaded) {
  const int64_t B = 2, T = 131, NH = 6, NKV = 2, HS = 12;
  const int before = tock::thread_count();
  tock::set_thread_count(1);
  const GqaResult single = run_gqa(B, T, NH, NKV, HS, NH * HS + 1, NKV * HS);
  tock::set_thread_count(3);
  const GqaResult multi = run_gqa(B, T, NH, NKV, HS, NH * HS + 1, NKV * HS);
  tock::set_thread_count(before);
  expect_bitwise(single, multi);
}

}  // namespace
