// LoRA on LlamaTrainModel's q/v projections (lora_adapters.hpp), through the whole tiny model:
// adapter gradients against central finite differences of the LM loss, base weights
// bit-identical after adapter training steps while the adapters move, and the merged model's
// logits equal to base + adapter within 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "train/adamw.hpp"
#include "train/lora_adapters.hpp"

namespace tock {
namespace {

LlamaTrainConfig tiny() {
  LlamaTrainConfig c;
  c.n_layer = 2;
  c.channels = 16;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.ffn_hidden = 32;
  c.vocab_size = 20;
  c.max_seq_len = 8;
  c.tied_output = false;
  return c;
}
const int64_t kB = 2, kT = 5;

struct Batch {
  std::vector<int32_t> in, tgt;
};
Batch batch(uint32_t seed) {
  std::mt19937 rng(seed);
  Batch b;
  for (int64_t i = 0; i < kB * kT; ++i) {
    b.in.push_back(int32_t(rng() % 20));
    b.tgt.push_back(int32_t(rng() % 20));
  }
  return b;
}

// Every B random too (a fresh B is zero, which would leave A's gradient zero).
void randomize_b(LlamaLora& lora, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.5f);
  for (int64_t l = 0; l < lora.n_layer(); ++l)
    for (auto part : {LlamaLora::kQB, LlamaLora::kVB}) {
      const auto s = lora.shape(part);
      for (int64_t i = 0; i < s[0] * s[1]; ++i) lora.param(l, part)[i] = d(rng);
    }
}

TEST(LoraLlama, GradientsMatchFiniteDifferences) {
  LlamaTrainModel m(tiny(), 5);
  LlamaLora lora(tiny(), 3, 6.0f, 11);
  randomize_b(lora, 12);
  m.set_adapter(&lora);
  const Batch b = batch(1);
  m.forward(b.in.data(), b.tgt.data(), kB, kT);
  m.zero_grad();
  lora.zero_grad();
  m.backward();
  const float h = 1e-2f;
  int checked = 0;
  for (int64_t l = 0; l < 2; ++l)
    for (auto part : {LlamaLora::kQA, LlamaLora::kQB, LlamaLora::kVA, LlamaLora::kVB}) {
      const auto s = lora.shape(part);
      for (int64_t i = 0; i < s[0] * s[1]; i += 3) {
        float& p = lora.param(l, part)[i];
        const float keep = p;
        p = keep + h;
        const double up = m.forward(b.in.data(), b.tgt.data(), kB, kT);
        p = keep - h;
        const double down = m.forward(b.in.data(), b.tgt.data(), kB, kT);
        p = keep;
        const double fd = (up - down) / (2.0 * h), g = lora.grad(l, part)[i];
        EXPECT_NEAR(g, fd, 2e-4 + 0.03 * std::fabs(fd)) << "layer " << l << " part " << part
                                                       << " index " << i;
        ++checked;
      }
    }
  EXPECT_GT(checked, 100);
}

TEST(LoraLlama, TrainingLeavesBaseBitIdentical) {
  LlamaTrainModel m(tiny(), 5);
  const std::vector<float> before(m.params(), m.params() + m.num_params());
  LlamaLora lora(tiny(), 2, 4.0f, 3);
  const std::vector<float> lora_before(lora.param(0, LlamaLora::kQA),
                                       lora.param(0, LlamaLora::kQA) + lora.num_params());
  m.set_adapter(&lora);
  AdamW opt({.weight_decay = 0.0f}, lora.num_params());
  const auto segs = lora.segments();
  const Batch b = batch(2);
  float first = 0.0f, last = 0.0f;
  for (int step = 0; step < 5; ++step) {
    last = m.forward(b.in.data(), b.tgt.data(), kB, kT);
    if (step == 0) first = last;
    m.zero_grad();
    lora.zero_grad();
    m.backward();
    opt.step(segs, 1e-2f);
  }
  EXPECT_LT(last, first);
  EXPECT_EQ(std::memcmp(before.data(), m.params(), before.size() * sizeof(float)), 0);
  // The frozen matrices' gradients are skipped, not just left unused.
  for (int t : {kTokEmbd, kWq, kWk, kWv, kWo, kWGate, kWUp, kWDown})
    EXPECT_EQ(m.grad_views()[t][0], 0.0f) << t;
  int64_t moved = 0;
  for (int64_t i = 0; i < lora.num_params(); ++i)
    moved += lora.param(0, LlamaLora::kQA)[i] != lora_before[size_t(i)];
  EXPECT_GT(moved, lora.num_params() * 9 / 10);
}

TEST(LoraLlama, MergedLogitsEqualAdapted) {
  LlamaTrainModel adapted(tiny(), 5), merged(tiny(), 5);
  LlamaLora lora(tiny(), 3, 6.0f, 11);
  randomize_b(lora, 13);
  adapted.set_adapter(&lora);
  const Batch b = batch(3);
  adapted.forward(b.in.data(), nullptr, kB, kT);
  LlamaTrainModel plain(tiny(), 5);
  plain.forward(b.in.data(), nullptr, kB, kT);
  lora.merge_into(merged);
  merged.forward(b.in.data(), nullptr, kB, kT);
  const int64_t n = kB * kT * 20;
  double changed = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(merged.logits()[i], adapted.logits()[i], 1e-4) << i;
    changed = std::max(changed, double(std::fabs(adapted.logits()[i] - plain.logits()[i])));
  }
  EXPECT_GT(changed, 1e-2);  // the adapter does change the model
}

}  // namespace
}  // namespace tock
