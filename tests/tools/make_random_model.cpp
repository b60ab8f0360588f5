// Test tool: writes a small model with random weights as GGUF using Tock's own writer, for
// the reference checks of the architecture families we have no real file of.
// Usage: make_random_model ARCH OUT.gguf [SEED]     ARCH: gpt2 | llama | qwen2
// Sizes: 2 layers, C 64, 4 heads (llama/qwen2: 2 kv heads), F 160 (gpt2: 256), V 300, ctx 64.
// Weights are F32 except the first layer's matrices, which are F16, to cover a second type.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "core/float16.hpp"
#include "io/gguf.hpp"

namespace {

struct Maker {
  tock::GgufWriter w;
  std::mt19937_64 rng;
  explicit Maker(uint64_t seed) : rng(seed) {}

  std::vector<float> random(size_t n, float scale, float offset = 0) {
    std::normal_distribution<float> dist(0.0f, 1.0f);  // values need not be portable here
    std::vector<float> v(n);
    for (auto& x : v) x = offset + scale * dist(rng);
    return v;
  }
  void f32(const std::string& name, std::vector<int64_t> ne, float scale, float offset = 0) {
    size_t n = 1;
    for (auto d : ne) n *= size_t(d);
    auto v = random(n, scale, offset);
    w.add_tensor(name, tock::DType::F32, ne, v.data(), n * sizeof(float));
  }
  void f16(const std::string& name, std::vector<int64_t> ne, float scale) {
    size_t n = 1;
    for (auto d : ne) n *= size_t(d);
    auto v = random(n, scale);
    std::vector<uint16_t> h(n);
    for (size_t i = 0; i < n; ++i) h[i] = tock::f32_to_f16(v[i]);
    w.add_tensor(name, tock::DType::F16, ne, h.data(), n * sizeof(uint16_t));
  }
  void matrix(int layer, const std::string& name, std::vector<int64_t> ne) {
    if (layer == 0) f16(name, ne, 0.08f);
    else f32(name, ne, 0.08f);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s gpt2|llama|qwen2 OUT.gguf [SEED]\n", argv[0]);
    return 2;
  }
  try {
    const std::string arch = argv[1];
    if (arch != "gpt2" && arch != "llama" && arch != "qwen2") {
      std::fprintf(stderr, "unknown arch %s\n", arch.c_str());
      return 2;
    }
    Maker m(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
    const bool gpt2 = arch == "gpt2";
    const int64_t L = 2, C = 64, NH = 4, NKV = gpt2 ? 4 : 2, HS = C / NH, V = 300, CTX = 64;
    const int64_t F = gpt2 ? 4 * C : 160, KV = NKV * HS;
    const std::string p = arch + ".";
    m.w.set("general.architecture", tock::GgufValue::of_string(arch));
    m.w.set("general.name", tock::GgufValue::of_string("random " + arch));
    m.w.set(p + "context_length", tock::GgufValue::of_u32(uint32_t(CTX)));
    m.w.set(p + "embedding_length", tock::GgufValue::of_u32(uint32_t(C)));
    m.w.set(p + "block_count", tock::GgufValue::of_u32(uint32_t(L)));
    m.w.set(p + "feed_forward_length", tock::GgufValue::of_u32(uint32_t(F)));
    m.w.set(p + "attention.head_count", tock::GgufValue::of_u32(uint32_t(NH)));
    m.w.set(p + "attention.head_count_kv", tock::GgufValue::of_u32(uint32_t(NKV)));
    if (gpt2) {
      m.w.set(p + "attention.layer_norm_epsilon", tock::GgufValue::of_f32(1e-5f));
    } else {
      m.w.set(p + "attention.layer_norm_rms_epsilon", tock::GgufValue::of_f32(1e-6f));
      m.w.set(p + "rope.freq_base", tock::GgufValue::of_f32(10000.0f));
      m.w.set(p + "rope.dimension_count", tock::GgufValue::of_u32(uint32_t(HS)));
    }
    m.f32("token_embd.weight", {C, V}, 0.5f);
    if (gpt2) m.f32("position_embd.weight", {C, CTX}, 0.1f);
    m.f32("output_norm.weight", {C}, 0.1f, 1.0f);
    if (gpt2) m.f32("output_norm.bias", {C}, 0.05f);
    if (arch == "llama") m.f32("output.weight", {C, V}, 0.1f);  // untied; the others tie
    for (int l = 0; l < L; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      m.f32(b + "attn_norm.weight", {C}, 0.1f, 1.0f);
      m.f32(b + "ffn_norm.weight", {C}, 0.1f, 1.0f);
      if (gpt2) {
        m.f32(b + "attn_norm.bias", {C}, 0.05f);
        m.f32(b + "ffn_norm.bias", {C}, 0.05f);
        m.matrix(l, b + "attn_qkv.weight", {C, C + 2 * KV});
        m.f32(b + "attn_qkv.bias", {C + 2 * KV}, 0.05f);
        m.f32(b + "attn_output.bias", {C}, 0.05f);
        m.f32(b + "ffn_up.bias", {F}, 0.05f);
        m.f32(b + "ffn_down.bias", {C}, 0.05f);
      } else {
        m.matrix(l, b + "attn_q.weight", {C, C});
        m.matrix(l, b + "attn_k.weight", {C, KV});
        m.matrix(l, b + "attn_v.weight", {C, KV});
        m.matrix(l, b + "ffn_gate.weight", {C, F});
        if (arch == "qwen2") {
          m.f32(b + "attn_q.bias", {C}, 0.05f);
          m.f32(b + "attn_k.bias", {KV}, 0.05f);
          m.f32(b + "attn_v.bias", {KV}, 0.05f);
        }
      }
      m.matrix(l, b + "attn_output.weight", {C, C});
      m.matrix(l, b + "ffn_up.weight", {C, F});
      m.matrix(l, b + "ffn_down.weight", {F, C});
    }
    m.w.write(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_random_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
