#include "train/classify_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "model/model.hpp"
#include "text/tokenizer.hpp"

namespace tock {

void save_classifier(const Classifier& c, const std::string& path) {
  const int64_t K = int64_t(c.labels.size());
  if (int64_t(c.w.size()) != K * c.channels || int64_t(c.bias.size()) != K)
    fail("classify: head of ", c.w.size(), " weights for ", K, " labels x ", c.channels, " channels");
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("tock-classifier"));
  w.set("classify.labels", GgufValue::of_strings(c.labels));
  w.set("classify.pooling", GgufValue::of_string(pooling_name(c.pooling)));
  w.set("classify.seq", GgufValue::of_i64(c.seq));
  w.set("classify.base", GgufValue::of_string(c.base));
  w.set("classify.base_seed", GgufValue::of_u64(c.base_seed));
  w.add_tensor("cls.weight", DType::F32, {c.channels, K}, c.w.data(), c.w.size() * sizeof(float));
  w.add_tensor("cls.bias", DType::F32, {K}, c.bias.data(), c.bias.size() * sizeof(float));
  w.write(path);
}

Classifier load_classifier(const std::string& path) {
  const GgufFile f = GgufFile::open(path);
  Classifier c;
  c.labels = f.get("classify.labels").as_strings("classify.labels");
  c.pooling = parse_pooling(f.get_string("classify.pooling"));
  c.seq = f.get_int("classify.seq");
  c.base = f.get_string("classify.base");
  c.base_seed = uint64_t(f.get_int("classify.base_seed"));
  const TensorView tw = f.tensor("cls.weight"), tb = f.tensor("cls.bias");
  const int64_t K = int64_t(c.labels.size());
  if (tw.type != DType::F32 || tb.type != DType::F32 || tw.ne[1] != K || tb.ne[0] != K)
    fail(path, ": cls.weight/cls.bias must be f32 of ", K, " rows (the labels)");
  c.channels = tw.ne[0];
  c.w.resize(size_t(K * c.channels));
  c.bias.resize(size_t(K));
  std::memcpy(c.w.data(), tw.data, c.w.size() * sizeof(float));
  std::memcpy(c.bias.data(), tb.data, c.bias.size() * sizeof(float));
  return c;
}

std::unique_ptr<LlamaTrainModel> classifier_backbone(const std::string& base, uint64_t base_seed) {
  auto model = LlamaTrainModel::from_gguf(base);
  if (base_seed == 0) return model;
  return std::make_unique<LlamaTrainModel>(model->config(), base_seed);
}

std::vector<std::vector<int32_t>> classify_token_ids(const Tokenizer& tok,
                                                     const std::vector<std::string>& texts,
                                                     int64_t seq) {
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (const auto& text : texts) {
    auto t = tok.encode(text);
    if (t.empty()) t.push_back(tok.eos());
    if (int64_t(t.size()) > seq) t.resize(size_t(seq));
    ids.push_back(std::move(t));
  }
  return ids;
}

namespace {

// Runs run_batch(first, ids of B texts, their rows of out) over the texts, `batch` at a time,
// printing texts done and tokens/s when progress is set.
template <typename RunBatch>
void for_each_batch(const std::vector<std::vector<int32_t>>& ids, int64_t batch, int64_t C,
                    std::vector<float>& out, bool progress, RunBatch run_batch) {
  const int64_t N = int64_t(ids.size());
  const auto t0 = std::chrono::steady_clock::now();
  int64_t tokens_done = 0;
  for (int64_t i0 = 0; i0 < N; i0 += batch) {
    const int64_t B = std::min(batch, N - i0);
    run_batch(i0, B, out.data() + i0 * C);
    for (int64_t b = 0; b < B; ++b) tokens_done += int64_t(ids[size_t(i0 + b)].size());
    if (progress) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\rfeatures: %lld/%lld texts, %.1f tok/s", (long long)(i0 + B),
                   (long long)N, double(tokens_done) / std::max(s, 1e-9));
    }
  }
  if (progress) std::fprintf(stderr, "\n");
}

}  // namespace

std::vector<float> classify_features(LlamaTrainModel& model, const Tokenizer& tok,
                                     const std::vector<std::string>& texts, int64_t seq,
                                     Pooling pooling, int64_t batch, bool progress) {
  const int64_t C = model.config().channels;
  const auto ids = classify_token_ids(tok, texts, std::min(seq, model.max_seq_len()));
  std::vector<float> out(texts.size() * size_t(C));
  for_each_batch(ids, batch, C, out, progress, [&](int64_t i0, int64_t B, float* pooled) {
    int64_t T = 1;
    for (int64_t b = 0; b < B; ++b) T = std::max<int64_t>(T, int64_t(ids[size_t(i0 + b)].size()));
    // Right padding with EOS: causal attention keeps it out of the real positions, and
    // pooling reads only those.
    std::vector<int32_t> inputs(size_t(B * T), tok.eos());
    std::vector<int32_t> lengths(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      const auto& t = ids[size_t(i0 + b)];
      std::copy(t.begin(), t.end(), inputs.begin() + b * T);
      lengths[size_t(b)] = int32_t(t.size());
    }
    model.forward_hidden(inputs.data(), B, T);
    classify_pool_forward(pooled, model.acts().hf, lengths.data(), B, T, C, pooling);
  });
  return out;
}

std::vector<float> classify_features(Model& model, const Tokenizer& tok,
                                     const std::vector<std::string>& texts, int64_t seq,
                                     Pooling pooling, int64_t batch, bool progress) {
  const int64_t C = model.config().n_embd;
  const auto ids = classify_token_ids(tok, texts, seq);
  std::vector<float> out(texts.size() * size_t(C)), hidden;
  KVCache cache = model.make_cache(seq);
  Batch in;
  for_each_batch(ids, batch, C, out, progress, [&](int64_t i0, int64_t B, float* pooled) {
    // Text b is sequence b: no padding; each sequence's rows are pooled on their own.
    in.clear();
    cache.clear();
    for (int64_t b = 0; b < B; ++b) {
      const auto& t = ids[size_t(i0 + b)];
      for (size_t j = 0; j < t.size(); ++j) in.add(t[j], int32_t(j), int32_t(b), true);
    }
    model.forward_hidden(in, cache, hidden);
    int64_t row = 0;
    for (int64_t b = 0; b < B; ++b) {
      const int32_t n = int32_t(ids[size_t(i0 + b)].size());
      classify_pool_forward(pooled + b * C, hidden.data() + row * C, &n, 1, n, C, pooling);
      row += n;
    }
  });
  return out;
}

std::vector<float> classifier_features(const Classifier& c, const std::vector<std::string>& texts,
                                       int64_t batch, bool progress) {
  const auto tok = Tokenizer::from_gguf(GgufFile::open(c.base));
  if (c.base_seed != 0) {
    auto model = classifier_backbone(c.base, c.base_seed);
    return classify_features(*model, *tok, texts, c.seq, c.pooling, batch, progress);
  }
  auto model = Model::load(c.base);
  return classify_features(*model, *tok, texts, c.seq, c.pooling, batch, progress);
}

std::vector<int32_t> classify_predict(const Classifier& c, const std::vector<float>& features) {
  const int64_t K = int64_t(c.labels.size()), C = c.channels, N = int64_t(features.size()) / C;
  std::vector<float> probs(static_cast<size_t>(N * K));
  classify_head_forward(probs.data(), features.data(), c.w.data(), c.bias.data(), nullptr, N, C, K);
  std::vector<int32_t> pred(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i)
    pred[size_t(i)] = int32_t(std::max_element(probs.begin() + i * K, probs.begin() + (i + 1) * K) -
                              (probs.begin() + i * K));
  return pred;
}

}  // namespace tock
