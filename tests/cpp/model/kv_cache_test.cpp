// KVCache's head-major layout: where each value lands (hand-derived positions), that growth and
// prefix copies keep every head's run, and that attention over cache.rows() equals the plain
// reference (attention_one) over the same keys and values laid out as rows.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "core/float16.hpp"
#include "kernels/attention.hpp"
#include "model/kv_cache.hpp"

namespace tock {
namespace {

// Key element i (< 8) of position p: 8·p + i; value: its negation (exact in f16 below 2048).
std::vector<float> key_row(int64_t p, int64_t kv_dim) {
  std::vector<float> r(static_cast<size_t>(kv_dim));
  for (int64_t i = 0; i < kv_dim; ++i) r[size_t(i)] = float(8 * p + i);
  return r;
}

// Reads position j, kv head g, element d of a layer through rows() (the layout attention uses).
float key_at(const KvRows& kv, int64_t j, int64_t g, int64_t d, bool value = false) {
  const int64_t i = j * kv.stride + g * kv.head_stride + d;
  const void* base = value ? kv.v : kv.k;
  if (kv.type == DType::F16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return static_cast<const float*>(base)[i];
}

void write_positions(KVCache& c, int32_t seq, int64_t layer, int64_t from, int64_t to) {
  for (int64_t p = from; p < to; ++p) {
    std::vector<float> k = key_row(p + 100 * layer, c.kv_dim()), v = k;
    for (float& x : v) x = -x;
    c.write(seq, layer, p, k.data(), v.data());
  }
}

void expect_positions(const KVCache& c, int32_t seq, int64_t layer, int64_t n, int64_t HS) {
  const KvRows kv = c.rows(seq, layer);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t g = 0; g < c.n_heads(); ++g)
      for (int64_t d = 0; d < HS; ++d) {
        const float want = float(8 * (j + 100 * layer) + g * HS + d);
        ASSERT_EQ(key_at(kv, j, g, d), want) << "seq " << seq << " layer " << layer << " pos " << j << " head " << g;
        ASSERT_EQ(key_at(kv, j, g, d, true), -want) << "value, pos " << j << " head " << g;
      }
}

TEST(KvCache, EachHeadsPositionsAreOneRun) {
  for (DType type : {DType::F32, DType::F16}) {
    KVCache c(2, 6, 1000, type, 3);  // 3 kv heads of 2
    c.add_sequence(0);
    c.reserve(0, 5);
    for (int64_t l = 0; l < 2; ++l) write_positions(c, 0, l, 0, 5);
    c.set_length(0, 5);
    const KvRows kv = c.rows(0, 1);
    EXPECT_EQ(kv.stride, 2);
    EXPECT_EQ(kv.head_stride, 64 * 2);  // the first reservation holds 64 positions
    // Raw buffer: head 1 of position 3, layer 1, starts at element (1·64 + 3)·2.
    const int64_t at = (1 * 64 + 3) * 2;
    const float got = type == DType::F16 ? f16_to_f32(static_cast<const uint16_t*>(c.k(0, 1))[at])
                                         : static_cast<const float*>(c.k(0, 1))[at];
    EXPECT_EQ(got, float(8 * (3 + 100) + 2));
    for (int64_t l = 0; l < 2; ++l) expect_positions(c, 0, l, 5, 2);
  }
}

TEST(KvCache, GrowthAndPrefixCopiesKeepEveryHeadsRun) {
  KVCache c(2, 8, 1000, DType::F16, 2);
  c.add_sequence(3);
  c.reserve(3, 60);
  for (int64_t l = 0; l < 2; ++l) write_positions(c, 3, l, 0, 60);
  c.set_length(3, 60);
  c.reserve(3, 130);  // 64 -> 130 positions: every head's run moves
  EXPECT_EQ(c.rows(3, 0).head_stride, 130 * 4);
  for (int64_t l = 0; l < 2; ++l) write_positions(c, 3, l, 60, 130);
  c.set_length(3, 130);
  for (int64_t l = 0; l < 2; ++l) expect_positions(c, 3, l, 130, 4);
  c.copy_prefix(3, 4, 97);
  EXPECT_EQ(c.length(4), 97);
  for (int64_t l = 0; l < 2; ++l) expect_positions(c, 4, l, 97, 4);
  EXPECT_EQ(c.bytes(), 2 * 2 * 8 * 2 * (130 + 97));  // K and V × layers × kv_dim × f16 × positions
}

TEST(KvCache, PlainRowsWithOneHead) {
  KVCache c(1, 6, 100, DType::F32);
  c.add_sequence(0);
  c.reserve(0, 3);
  write_positions(c, 0, 0, 0, 3);
  // Position j's row at element j·kv_dim (what attention_one reads).
  EXPECT_EQ(static_cast<const float*>(c.k(0, 0))[2 * 6 + 5], 21.0f);
  EXPECT_EQ(static_cast<const float*>(c.v(0, 0))[1 * 6 + 0], -8.0f);
  // rows(): plain rows, so attention may read them as any number of kv heads side by side.
  const KvRows kv = c.rows(0, 0);
  EXPECT_EQ(kv.stride, 6);
  EXPECT_EQ(kv.head_stride, 0);
}

TEST(KvCache, RejectsHeadsThatDoNotDivideTheWidth) {
  EXPECT_THROW(KVCache(1, 10, 100, DType::F16, 3), Error);
  EXPECT_THROW(KVCache(1, 10, 100, DType::F16, 0), Error);
}

// Decode attention over the cache as the model calls it (cache.rows()), at a depth that made the
// cache grow twice, against attention_one over the same f16-rounded rows.
TEST(KvCache, AttentionOverTheCacheMatchesReference) {
  constexpr int64_t NH = 9, NKV = 3, HS = 64, KV = NKV * HS, n = 1030;
  KVCache c(1, KV, 4096, DType::F16, NKV);
  c.add_sequence(0);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> K(static_cast<size_t>(n * KV)), V(K.size()), q(static_cast<size_t>(NH * HS));
  for (float& x : K) x = f16_to_f32(f32_to_f16(3.0f * u(rng)));
  for (float& x : V) x = f16_to_f32(f32_to_f16(u(rng)));
  for (float& x : q) x = u(rng);
  for (int64_t p = 0; p < n; ++p) {
    c.reserve(0, p + 1);
    c.write(0, 0, p, K.data() + p * KV, V.data() + p * KV);
    c.set_length(0, p + 1);
  }
  std::vector<float> want(static_cast<size_t>(NH * HS)), got(want.size()), scratch(static_cast<size_t>(n));
  const float scale = 0.125f;
  attention_one(q.data(), K.data(), V.data(), n, NH, NKV, HS, scale, want.data(), scratch.data());
  attention_causal(q.data(), 1, n - 1, c.rows(0, 0), NH, NKV, HS, scale, got.data());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-5f) << i;
}

}  // namespace
}  // namespace tock
