// Classification metrics as scikit-learn defines them: accuracy, per-class precision, recall
// and F1 (0 where undefined, sklearn's zero_division=0), macro averages, and the confusion
// matrix (rows = true label, columns = predicted). And the confusion matrix as a hand-written
// SVG heat map (no dependency).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tock {

struct ClassifyMetrics {
  int64_t n = 0, correct = 0;
  double accuracy = 0.0;
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;             // true examples per class
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  double macro_precision = 0.0, macro_recall = 0.0, macro_f1 = 0.0;
};

// gold and pred: label indices in 0..K-1, same length. Error on a mismatch or out of range.
ClassifyMetrics classify_metrics(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred,
                                 int64_t K);

// The report printed by `tock eval classify`.
std::string format_metrics(const ClassifyMetrics& m, const std::vector<std::string>& labels);

// The confusion matrix as an SVG document: one cell per (true, predicted) with its count, shaded
// by the row's fraction; labels on both axes; accuracy in the title.
std::string confusion_svg(const ClassifyMetrics& m, const std::vector<std::string>& labels,
                          const std::string& title);

}  // namespace tock
