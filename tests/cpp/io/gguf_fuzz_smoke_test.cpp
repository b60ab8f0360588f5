// Fuzz smoke test: thousands of mutated and truncated copies of a small GGUF through the reader
// (and, when it accepts one, through dequantization of every tensor). Each copy must parse or
// throw tock::Error; nothing else. Run it under the `asan` preset to catch out-of-bounds reads.
// Longer runs: the libFuzzer target in tests/fuzz (TOCK_FUZZ=ON, clang).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.hpp"
#include "core/float16.hpp"
#include "io/gguf.hpp"
#include "kernels/dequant.hpp"

namespace tock {
namespace {

// A seed file with every value type, nested arrays and tensors of several types.
std::vector<uint8_t> seed_file() {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.set("llama.block_count", GgufValue::of_u32(2));
  w.set("llama.rope.freq_base", GgufValue::of_f32(10000.f));
  w.set("general.alignment", GgufValue::of_u32(32));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings({"a", "b", "<|im_start|>", "Ġx"}));
  w.set("tokenizer.ggml.scores", GgufValue::of_f32s({0.f, -1.f, -2.f, -3.f}));
  w.set("nested", GgufValue::of_arrays({GgufValue::of_i32s({1, 2}), GgufValue::of_strings({"q"})}));
  w.set("i64", GgufValue::of_i64(-5));
  w.set("f64", GgufValue::of_f64(2.5));
  w.set("b", GgufValue::of_bool(false));
  std::mt19937 rng(7);
  auto bytes = [&](size_t n) {
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = uint8_t(rng());
    return b;
  };
  const auto f32 = bytes(4 * 8), q8 = bytes(34 * 2), q4k = bytes(144), q6k = bytes(210), f16 = bytes(2 * 32);
  w.add_tensor("token_embd.weight", DType::Q8_0, {32, 2}, q8.data(), q8.size());
  w.add_tensor("output_norm.weight", DType::F32, {8}, f32.data(), f32.size());
  w.add_tensor("blk.0.attn_q.weight", DType::Q4_K, {256}, q4k.data(), q4k.size());
  w.add_tensor("blk.0.ffn_down.weight", DType::Q6_K, {256}, q6k.data(), q6k.size());
  w.add_tensor("blk.0.ffn_up.weight", DType::F16, {16, 2}, f16.data(), f16.size());
  return w.to_bytes();
}

// Parses `data`; on success dequantizes every supported tensor. Returns false if anything other
// than tock::Error escaped.
bool survives(const std::vector<uint8_t>& data, std::string& what) {
  try {
    const GgufFile f = GgufFile::parse(data.data(), data.size(), "fuzz.gguf");
    for (const auto& t : f.tensors()) {
      if (!can_dequantize(t.type) || t.nbytes > (1u << 20)) continue;
      const std::vector<float> y = dequantize(f.view(t));
      (void)y;
    }
    for (const auto& [k, v] : f.metadata()) (void)v.array_size();
  } catch (const Error&) {
    return true;
  } catch (const std::exception& e) {
    what = e.what();
    return false;
  }
  return true;
}

TEST(GgufFuzzSmoke, SeedParses) {
  const auto seed = seed_file();
  const GgufFile f = GgufFile::parse(seed.data(), seed.size());
  EXPECT_EQ(f.tensors().size(), 5u);
}

TEST(GgufFuzzSmoke, EveryTruncationIsAnErrorOrValid) {
  const auto seed = seed_file();
  for (size_t n = 0; n < seed.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan sees any read past its end.
    std::vector<uint8_t> cut(seed.begin(), seed.begin() + long(n));
    std::string what;
    ASSERT_TRUE(survives(cut, what)) << "truncated to " << n << ": " << what;
  }
}

TEST(GgufFuzzSmoke, ThousandsOfMutationsAreErrorsOrValid) {
  const auto seed = seed_file();
  std::mt19937_64 rng(20261128);
  const uint64_t interesting[] = {0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 31, 32, 255, 256, 65535, 1ull << 31,
                                  (1ull << 32) - 1, 1ull << 32, 1ull << 62, ~0ull, ~0ull - 1, 1ull << 63};
  int accepted = 0;
  for (int it = 0; it < 6000; ++it) {
    std::vector<uint8_t> m = seed;
    const int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % m.size();
      switch (rng() % 5) {
        case 0: m[pos] = uint8_t(rng()); break;                       // random byte
        case 1: m[pos] ^= uint8_t(1u << (rng() % 8)); break;         // bit flip
        case 2: {                                                     // interesting u64 / u32
          const uint64_t v = interesting[rng() % std::size(interesting)];
          const size_t width = (rng() % 2) ? 8 : 4;
          std::memcpy(m.data() + pos, &v, std::min(width, m.size() - pos));
          break;
        }
        case 3: m.resize(pos); break;                                 // truncate
        default: {                                                    // duplicate a slice
          const size_t len = rng() % 64;
          std::vector<uint8_t> slice(m.begin() + long(pos), m.begin() + long(std::min(m.size(), pos + len)));
          m.insert(m.begin() + long(rng() % m.size()), slice.begin(), slice.end());
          break;
        }
      }
      if (m.empty()) break;
    }
    std::vector<uint8_t> exact(m.begin(), m.end());  // exact-size heap copy
    std::string what;
    ASSERT_TRUE(survives(exact, what)) << "mutation " << it << ": " << what;
    try {
      GgufFile::parse(exact.data(), exact.size());
      ++accepted;
    } catch (const Error&) {
    }
  }
  // Both outcomes happen: the mutations are neither all fatal nor all harmless.
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, 5900);
}

}  // namespace
}  // namespace tock
