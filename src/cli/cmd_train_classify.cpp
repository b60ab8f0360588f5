// `tock train --task classify --labels L.txt --data TRAIN.tsv --init MODEL.gguf [--val VAL.tsv]
// [--pool mean|last] [--scratch [--layers L --dim C --heads NH --kv-heads NKV --ff F]]
// [--finetune | --lora-rank r] [--head-init CLASSIFIER.gguf] [--seq T] [--batch B] [--steps N]
// [--lr LR] --out DIR`.
// Frozen (the default): the backbone's pooled final hidden states are computed once per text
// (classifier_features: the inference fast path for a pretrained GGUF), then the head
// (classify_head.hpp) is trained on them with AdamW; features are standardised during training
// and the scaling folded into the saved weights. --finetune / --lora-rank train end to end
// (classify_finetune.hpp). Writes DIR/classifier.gguf (and backbone.gguf or adapter.gguf).
#include "cli/cmd_train_classify.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "text/tokenizer.hpp"
#include "train/adamw.hpp"
#include "train/classify_data.hpp"
#include "train/classify_finetune.hpp"
#include "train/classify_metrics.hpp"
#include "train/classify_model.hpp"
#include "train/llama_export.hpp"
#include "train/lora_gguf.hpp"
#include "train/random.hpp"
#include "train/trainer.hpp"

namespace tock::cli {

void add_classify_train_flags(CLI::App* cmd, ClassifyTrainFlags& f) {
  cmd->add_option("--task", f.task, "lm (next-token prediction) or classify (--data is then a TSV)")
      ->capture_default_str();
  cmd->add_option("--labels", f.labels, "classify: labels file, one per line");
  cmd->add_option("--val", f.val, "classify: validation TSV, accuracy reported at the end");
  cmd->add_option("--pool", f.pool, "classify: mean or last token pooling")->capture_default_str();
  cmd->add_flag("--scratch", f.scratch, "classify: the --init architecture with random weights");
  cmd->add_flag("--finetune", f.finetune, "classify: train the backbone too (writes DIR/backbone.gguf)");
  cmd->add_option("--head-lr", f.head_lr, "classify --finetune: the head's learning rate")->capture_default_str();
  cmd->add_option("--lora-rank", f.lora_rank, "classify: train rank-r LoRA adapters on attention q/v and the head (writes DIR/adapter.gguf)");
  cmd->add_option("--lora-alpha", f.lora_alpha, "classify --lora-rank: adapter scale alpha (scale alpha/r; default 2r)");
  cmd->add_option("--merge", f.merge, "classify --lora-rank: also write the backbone with the adapters merged here");
  cmd->add_flag("!--no-train-accuracy", f.train_accuracy, "classify --finetune/--lora-rank: skip the train set's accuracy pass at the end");
  cmd->add_option("--head-init", f.head_init, "classify --finetune/--lora-rank: start the head from this classifier's (e.g. a frozen run's) instead of 0");
}

namespace {

std::vector<std::string> texts_of(const std::vector<ClassifyExample>& ex) {
  std::vector<std::string> t;
  for (const auto& e : ex) t.push_back(e.text);
  return t;
}

std::vector<int32_t> labels_of(const std::vector<ClassifyExample>& ex) {
  std::vector<int32_t> l;
  for (const auto& e : ex) l.push_back(e.label);
  return l;
}

// --scratch with any of --layers/--dim/--heads/--kv-heads/--ff: a Llama of those sizes (the
// rest, the vocabulary included, from the --init model) with random weights from seed.
std::unique_ptr<LlamaTrainModel> sized_scratch(const LlamaTrainConfig& base, const ModelShape& s,
                                               uint64_t seed) {
  LlamaTrainConfig cfg = base;
  if (s.layers > 0) cfg.n_layer = s.layers;
  if (s.dim > 0) cfg.channels = s.dim;
  if (s.heads > 0) cfg.n_head = cfg.n_kv_head = s.heads;
  if (s.kv_heads > 0) cfg.n_kv_head = s.kv_heads;
  if (s.ff > 0) cfg.ffn_hidden = s.ff;
  validate(cfg);
  return std::make_unique<LlamaTrainModel>(cfg, seed);
}

// The frozen backbone's head: AdamW on standardised features x (N, C), the standardisation
// folded into c.w, c.bias; writes DIR/classifier.gguf.
int train_frozen_head(const TrainOptions& o, const ClassifyTrainFlags& f, Classifier& c,
                      std::vector<float> x, const std::vector<int32_t>& y) {
  const int64_t K = int64_t(c.labels.size()), N = int64_t(y.size()),
                C = int64_t(x.size()) / std::max<int64_t>(N, 1);
  c.channels = C;
  const std::vector<float> raw = x;  // for the train accuracy of the folded head

  // Standardise each channel (LLM hidden states have a few huge channels), train on that.
  std::vector<double> mu(static_cast<size_t>(C), 0.0), sd(static_cast<size_t>(C), 0.0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < C; ++j) mu[size_t(j)] += x[size_t(i * C + j)] / double(N);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < C; ++j) {
      const double d = x[size_t(i * C + j)] - mu[size_t(j)];
      sd[size_t(j)] += d * d / double(N);
    }
  for (auto& s : sd) s = std::sqrt(s) + 1e-6;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < C; ++j)
      x[size_t(i * C + j)] = float((x[size_t(i * C + j)] - mu[size_t(j)]) / sd[size_t(j)]);

  const int64_t B = std::min<int64_t>(o.batch > 0 ? o.batch : 32, N);
  const int64_t steps = o.steps > 0 ? o.steps : 500;
  std::vector<float> params(size_t(K * C + K), 0.0f), grads(params.size());
  AdamW opt({.weight_decay = o.weight_decay}, int64_t(params.size()));
  const ParamSegment segs[] = {{params.data(), grads.data(), K * C, true},
                               {params.data() + K * C, grads.data() + K * C, K, false}};
  SplitMix64 rng(o.seed);
  std::vector<int64_t> order(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) order[size_t(i)] = i;
  int64_t pos = N;
  std::vector<float> xb(static_cast<size_t>(B * C)), probs(static_cast<size_t>(B * K));
  std::vector<int32_t> yb(static_cast<size_t>(B));
  for (int64_t step = 1; step <= steps; ++step) {
    for (int64_t b = 0; b < B; ++b) {
      if (pos == N) {  // reshuffle each epoch (Fisher–Yates)
        for (int64_t i = N - 1; i > 0; --i) std::swap(order[size_t(i)], order[size_t(rng.next() % uint64_t(i + 1))]);
        pos = 0;
      }
      const int64_t i = order[size_t(pos++)];
      std::copy(x.begin() + i * C, x.begin() + (i + 1) * C, xb.begin() + b * C);
      yb[size_t(b)] = y[size_t(i)];
    }
    std::fill(grads.begin(), grads.end(), 0.0f);
    const float loss = classify_head_forward(probs.data(), xb.data(), params.data(),
                                             params.data() + K * C, yb.data(), B, C, K);
    classify_head_backward(grads.data(), grads.data() + K * C, nullptr, probs.data(), xb.data(),
                           params.data(), yb.data(), B, C, K);
    const float lr = o.lr * 0.5f * (1.0f + std::cos(3.14159265f * float(step - 1) / float(steps)));
    opt.step(segs, lr);
    if (!o.quiet && (step % 100 == 0 || step == steps))
      std::fprintf(stderr, "step %lld/%lld loss %.4f lr %.2e\n", (long long)step, (long long)steps,
                   loss, lr);
  }
  // Fold the standardisation into the head: w' = w/sd, b' = b - Σ w·mu/sd.
  c.w.assign(size_t(K * C), 0.0f);
  c.bias.assign(size_t(K), 0.0f);
  for (int64_t k = 0; k < K; ++k) {
    double b = params[size_t(K * C + k)];
    for (int64_t j = 0; j < C; ++j) {
      const double w = params[size_t(k * C + j)] / sd[size_t(j)];
      c.w[size_t(k * C + j)] = float(w);
      b -= w * mu[size_t(j)];
    }
    c.bias[size_t(k)] = float(b);
  }
  std::filesystem::create_directories(o.out_dir);
  const std::string path = (std::filesystem::path(o.out_dir) / "classifier.gguf").string();
  save_classifier(c, path);
  const auto mt = classify_metrics(y, classify_predict(c, raw), K);
  std::printf("train accuracy %.4f (%lld examples)\n", mt.accuracy, (long long)N);
  if (!f.val.empty()) {
    const auto val = read_classify_tsv(f.val, c.labels);
    const auto xv = classifier_features(c, texts_of(val), 8, !o.quiet);
    const auto mv = classify_metrics(labels_of(val), classify_predict(c, xv), K);
    std::printf("val accuracy %.4f (%zu examples)\n", mv.accuracy, val.size());
  }
  std::printf("wrote %s\n", path.c_str());
  return 0;
}

}  // namespace

int run_train_classify(const TrainOptions& o, const ClassifyTrainFlags& f) {
  if (f.labels.empty()) fail("train --task classify: --labels is required");
  if (o.data_dir.empty()) fail("train --task classify: --data TRAIN.tsv is required");
  if (o.init_model.empty()) fail("train --task classify: --init MODEL.gguf is required (the backbone)");
  Classifier c;
  c.labels = read_labels(f.labels);
  c.pooling = parse_pooling(f.pool);
  c.seq = o.shape.seq > 0 ? o.shape.seq : 64;
  c.base = std::filesystem::absolute(o.init_model).string();
  c.base_seed = f.scratch ? std::max<uint64_t>(o.seed, 1) : 0;
  const auto train = read_classify_tsv(o.data_dir, c.labels);
  const ModelShape& s = o.shape;
  const bool sized = s.layers > 0 || s.dim > 0 || s.heads > 0 || s.kv_heads > 0 || s.ff > 0;
  if (!f.merge.empty() && f.lora_rank < 1) fail("train --task classify: --merge needs --lora-rank");
  if (f.finetune && f.lora_rank > 0) fail("train --task classify: --finetune and --lora-rank exclude each other");
  if (sized && !(f.scratch && f.finetune))
    fail("train --task classify: --layers/--dim/--heads/--kv-heads/--ff need --scratch --finetune "
         "(a model of its own sizes is trained end to end and exported)");
  if (!f.head_init.empty() && !f.finetune && f.lora_rank < 1)
    fail("train --task classify: --head-init needs --finetune or --lora-rank");
  const int64_t K = int64_t(c.labels.size()), N = int64_t(train.size()), fbatch = 8;
  const std::vector<int32_t> y = labels_of(train);
  if (!f.finetune && f.lora_rank < 1) {
    std::fprintf(stderr, "classify: %lld examples, %lld labels, backbone %s%s, seq %lld, %s pooling\n",
                 (long long)N, (long long)K, c.base.c_str(), f.scratch ? " (random weights)" : "",
                 (long long)c.seq, pooling_name(c.pooling));
    return train_frozen_head(o, f, c, classifier_features(c, texts_of(train), fbatch, !o.quiet), y);
  }
  auto tok = Tokenizer::from_gguf(GgufFile::open(c.base));
  auto model = classifier_backbone(c.base, c.base_seed);
  if (sized) model = sized_scratch(model->config(), s, c.base_seed);
  const int64_t C = model->config().channels;
  c.channels = C;
  if (!f.head_init.empty()) {
    const Classifier h = load_classifier(f.head_init);
    if (h.labels != c.labels || h.channels != C)
      fail("train --task classify: --head-init ", f.head_init, " has ", h.labels.size(), " labels x ",
           h.channels, " channels; this run has ", K, " (", f.labels, ") x ", C);
    c.w = h.w;
    c.bias = h.bias;
  }
  {
    std::unique_ptr<LlamaLora> lora;
    if (f.lora_rank > 0) {
      lora = std::make_unique<LlamaLora>(model->config(), f.lora_rank,
                                         f.lora_alpha > 0.0f ? f.lora_alpha : 2.0f * float(f.lora_rank),
                                         o.seed);
      model->set_adapter(lora.get());
    }
    classify_finetune(*model, *tok, train, c,
                      {.batch = o.batch > 0 ? o.batch : 8, .steps = o.steps > 0 ? o.steps : 50,
                       .lr = o.lr, .head_lr = f.head_lr, .weight_decay = o.weight_decay,
                       .seed = o.seed, .progress = !o.quiet, .lora = lora.get()});
    std::filesystem::create_directories(o.out_dir);
    if (lora) {  // the backbone is unchanged: the classifier keeps pointing at it
      const std::string adapter = (std::filesystem::path(o.out_dir) / "adapter.gguf").string();
      save_lora(*lora, adapter);
      std::printf("wrote %s (rank %lld, alpha %g, %lld adapter + %lld head parameters)\n",
                  adapter.c_str(), (long long)lora->rank(), double(lora->alpha()),
                  (long long)lora->num_params(), (long long)(K * C + K));
    } else {
      const std::string backbone = (std::filesystem::path(o.out_dir) / "backbone.gguf").string();
      export_llama_gguf(*model, GgufFile::open(c.base), backbone, "tock-classify-backbone");
      c.base = std::filesystem::absolute(backbone).string();
      c.base_seed = 0;
    }
    const std::string path = (std::filesystem::path(o.out_dir) / "classifier.gguf").string();
    save_classifier(c, path);
    // Accuracy as eval classify computes it: with the adapter on the training model, else on
    // the exported backbone (classifier_features).
    auto accuracy = [&](const std::vector<ClassifyExample>& ex) {
      const auto x = lora ? classify_features(*model, *tok, texts_of(ex), c.seq, c.pooling, fbatch, false)
                          : classifier_features(c, texts_of(ex), fbatch, false);
      return classify_metrics(labels_of(ex), classify_predict(c, x), K).accuracy;
    };
    if (f.train_accuracy)
      std::printf("train accuracy %.4f (%lld examples)\n", accuracy(train), (long long)N);
    if (!f.val.empty()) {
      const auto val = read_classify_tsv(f.val, c.labels);
      std::printf("val accuracy %.4f (%zu examples)\n", accuracy(val), val.size());
    }
    std::printf("wrote %s\n", path.c_str());
    if (!f.merge.empty()) {
      lora->merge_into(*model);
      model->set_adapter(nullptr);
      export_llama_gguf(*model, GgufFile::open(c.base), f.merge, "tock-lora-merged");
      std::printf("wrote %s (adapters merged)\n", f.merge.c_str());
    }
    return 0;
  }
  return 0;
}

}  // namespace tock::cli
