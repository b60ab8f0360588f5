// `tock eval classify -m CLASSIFIER.gguf --data TEST.tsv [--svg CHART.svg] [--out PRED.tsv]`:
// accuracy, per-class precision/recall/F1 and the confusion matrix of a classifier from
// `tock train --task classify`; or, with --predictions GOLD_PRED.tsv and --labels, the same
// metrics over given (gold \t predicted) label pairs, without a model.
#include "cli/cmd_eval_classify.hpp"

#include <cstdio>
#include <fstream>
#include <memory>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "text/tokenizer.hpp"
#include "train/classify_data.hpp"
#include "train/classify_metrics.hpp"
#include "train/classify_model.hpp"
#include "train/lora_gguf.hpp"

namespace tock::cli {
namespace {

struct EvalClassifyFlags {
  std::string model, data, svg, out, predictions, labels, adapter;
  int64_t batch = 8;
  int threads = 0;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text)) fail("eval classify: cannot write '", path, "'");
}

int run_eval_classify(const EvalClassifyFlags& f) {
  if (f.threads > 0) set_thread_count(f.threads);
  std::vector<std::string> labels;
  std::vector<int32_t> gold, pred;
  std::string title;
  if (!f.predictions.empty()) {
    if (f.labels.empty()) fail("eval classify: --predictions needs --labels");
    labels = read_labels(f.labels);
    // Each row: gold \t predicted; read as a TSV twice over (label, then the text = prediction).
    for (const auto& e : read_classify_tsv(f.predictions, labels)) {
      gold.push_back(e.label);
      int32_t k = -1;
      for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] == e.text) k = int32_t(i);
      if (k < 0) fail(f.predictions, ": predicted label '", e.text, "' is not in the labels file");
      pred.push_back(k);
    }
    title = f.predictions;
  } else {
    if (f.model.empty() || f.data.empty()) fail("eval classify: needs -m CLASSIFIER.gguf and --data TEST.tsv");
    const Classifier c = load_classifier(f.model);
    labels = c.labels;
    const auto test = read_classify_tsv(f.data, labels);
    std::vector<std::string> texts;
    for (const auto& e : test) {
      texts.push_back(e.text);
      gold.push_back(e.label);
    }
    if (f.adapter.empty()) {
      pred = classify_predict(c, classifier_features(c, texts, f.batch, true));
    } else {  // the adapter runs on the training model, as train --lora-rank did
      auto backbone = classifier_backbone(c.base, c.base_seed);
      const auto lora = load_lora(f.adapter, backbone->config());
      backbone->set_adapter(lora.get());
      auto tok = Tokenizer::from_gguf(GgufFile::open(c.base));
      pred = classify_predict(c, classify_features(*backbone, *tok, texts, c.seq, c.pooling, f.batch, true));
    }
    title = f.model;
    if (!f.out.empty()) {
      std::string rows;
      for (size_t i = 0; i < gold.size(); ++i)
        rows.append(labels[size_t(gold[i])]).append("\t").append(labels[size_t(pred[i])]).append("\n");
      write_file(f.out, rows);
    }
  }
  const ClassifyMetrics m = classify_metrics(gold, pred, int64_t(labels.size()));
  std::printf("%s", format_metrics(m, labels).c_str());
  if (!f.svg.empty()) {
    write_file(f.svg, confusion_svg(m, labels, title));
    std::printf("wrote %s\n", f.svg.c_str());
  }
  return 0;
}

}  // namespace

Action add_eval_classify(CLI::App* eval) {
  auto f = std::make_shared<EvalClassifyFlags>();
  CLI::App* cmd = eval->add_subcommand("classify", "Accuracy, per-class P/R/F1 and confusion matrix of a classifier");
  cmd->add_option("-m,--model", f->model, "Classifier GGUF from `tock train --task classify`");
  cmd->add_option("--data", f->data, "Test TSV (label \\t text)");
  cmd->add_option("--svg", f->svg, "Write the confusion matrix as an SVG chart here");
  cmd->add_option("--out", f->out, "Write gold \\t predicted label rows here");
  cmd->add_option("--predictions", f->predictions, "Score these gold \\t predicted rows instead of a model");
  cmd->add_option("--labels", f->labels, "Labels file (with --predictions)");
  cmd->add_option("--adapter", f->adapter, "LoRA adapter GGUF (DIR/adapter.gguf from train --lora-rank) applied to the backbone");
  cmd->add_option("-b,--batch", f->batch, "Texts per forward pass")->capture_default_str();
  cmd->add_option("-t,--threads", f->threads, "Threads (default: all cores)");
  return [f, cmd]() -> int {
    if (!cmd->parsed()) return 0;
    return run_eval_classify(*f);
  };
}

}  // namespace tock::cli
