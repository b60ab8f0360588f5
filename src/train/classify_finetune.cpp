#include "train/classify_finetune.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "text/tokenizer.hpp"
#include "train/adamw.hpp"
#include "train/lora_adapters.hpp"
#include "train/random.hpp"

namespace tock {

void classify_finetune(LlamaTrainModel& model, const Tokenizer& tok,
                       const std::vector<ClassifyExample>& train, Classifier& c,
                       const ClassifyFinetuneOptions& o) {
  const int64_t C = model.config().channels, K = int64_t(c.labels.size()),
                N = int64_t(train.size()), B = std::min(o.batch, N),
                seq = std::min(c.seq, model.max_seq_len());
  c.channels = C;
  if (int64_t(c.w.size()) != K * C || int64_t(c.bias.size()) != K) {  // no head given
    c.w.assign(size_t(K * C), 0.0f);
    c.bias.assign(size_t(K), 0.0f);
  }
  std::vector<std::string> texts;
  for (const auto& e : train) texts.push_back(e.text);
  const auto ids = classify_token_ids(tok, texts, seq);
  std::vector<float> hgrads(size_t(K * C + K));
  AdamW body({.weight_decay = o.weight_decay}, o.lora ? o.lora->num_params() : model.num_params());
  AdamW head({.weight_decay = o.weight_decay}, K * C + K);
  const ParamSegment head_segs[] = {{c.w.data(), hgrads.data(), K * C, true},
                                    {c.bias.data(), hgrads.data() + K * C, K, false}};
  const auto body_segs = o.lora ? o.lora->segments() : model.segments();
  SplitMix64 rng(o.seed);
  std::vector<int64_t> order(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) order[size_t(i)] = i;
  int64_t pos = N;
  const auto t0 = std::chrono::steady_clock::now();
  int64_t tokens = 0;
  for (int64_t step = 1; step <= o.steps; ++step) {
    std::vector<int64_t> pick;
    for (int64_t b = 0; b < B; ++b) {
      if (pos == N) {
        for (int64_t i = N - 1; i > 0; --i)
          std::swap(order[size_t(i)], order[size_t(rng.next() % uint64_t(i + 1))]);
        pos = 0;
      }
      pick.push_back(order[size_t(pos++)]);
    }
    int64_t T = 1;
    for (int64_t i : pick) T = std::max<int64_t>(T, int64_t(ids[size_t(i)].size()));
    std::vector<int32_t> inputs(static_cast<size_t>(B * T), tok.eos()), lengths, labels;
    for (int64_t b = 0; b < B; ++b) {
      const auto& t = ids[size_t(pick[size_t(b)])];
      std::copy(t.begin(), t.end(), inputs.begin() + b * T);
      lengths.push_back(int32_t(t.size()));
      labels.push_back(train[size_t(pick[size_t(b)])].label);
      tokens += int64_t(t.size());
    }
    model.forward_hidden(inputs.data(), B, T);
    std::vector<float> pooled(static_cast<size_t>(B * C)), probs(static_cast<size_t>(B * K)),
        dpooled(static_cast<size_t>(B * C)), dhidden(static_cast<size_t>(B * T * C));
    classify_pool_forward(pooled.data(), model.acts().hf, lengths.data(), B, T, C, c.pooling);
    const float loss = classify_head_forward(probs.data(), pooled.data(), c.w.data(), c.bias.data(),
                                             labels.data(), B, C, K);
    std::fill(hgrads.begin(), hgrads.end(), 0.0f);
    classify_head_backward(hgrads.data(), hgrads.data() + K * C, dpooled.data(), probs.data(),
                           pooled.data(), c.w.data(), labels.data(), B, C, K);
    classify_pool_backward(dhidden.data(), dpooled.data(), lengths.data(), B, T, C, c.pooling);
    model.zero_grad();
    if (o.lora) o.lora->zero_grad();
    model.backward_from_hidden(dhidden.data());
    // Cosine decay to 0 for both learning rates.
    const float f = 0.5f * (1.0f + std::cos(3.14159265f * float(step - 1) / float(o.steps)));
    body.step(body_segs, o.lr * f);
    head.step(head_segs, o.head_lr * f);
    if (o.progress) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "step %lld/%lld loss %.4f %.1f tok/s\n", (long long)step,
                   (long long)o.steps, loss, double(tokens) / std::max(s, 1e-9));
    }
  }
}

}  // namespace tock
