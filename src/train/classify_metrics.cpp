#include "train/classify_metrics.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"

namespace tock {

ClassifyMetrics classify_metrics(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred,
                                 int64_t K) {
  if (gold.size() != pred.size())
    fail("classify metrics: ", gold.size(), " gold labels but ", pred.size(), " predictions");
  ClassifyMetrics m;
  m.n = int64_t(gold.size());
  m.confusion.assign(size_t(K), std::vector<int64_t>(size_t(K), 0));
  for (size_t i = 0; i < gold.size(); ++i) {
    if (gold[i] < 0 || gold[i] >= K || pred[i] < 0 || pred[i] >= K)
      fail("classify metrics: example ", i, " has label ", gold[i], " / prediction ", pred[i],
           " outside 0..", K - 1);
    ++m.confusion[size_t(gold[i])][size_t(pred[i])];
    if (gold[i] == pred[i]) ++m.correct;
  }
  m.accuracy = m.n ? double(m.correct) / double(m.n) : 0.0;
  // Macro averages run over the classes that occur in gold or predictions, as scikit-learn's
  // default labels do: a label that is in labels.txt but absent from the data adds no zero.
  int64_t present = 0;
  for (int64_t k = 0; k < K; ++k) {
    int64_t tp = m.confusion[size_t(k)][size_t(k)], row = 0, col = 0;
    for (int64_t j = 0; j < K; ++j) {
      row += m.confusion[size_t(k)][size_t(j)];
      col += m.confusion[size_t(j)][size_t(k)];
    }
    const double p = col ? double(tp) / double(col) : 0.0;
    const double r = row ? double(tp) / double(row) : 0.0;
    m.precision.push_back(p);
    m.recall.push_back(r);
    m.f1.push_back(p + r > 0 ? 2.0 * p * r / (p + r) : 0.0);
    m.support.push_back(row);
    if (row + col == 0) continue;
    ++present;
    m.macro_precision += p;
    m.macro_recall += r;
    m.macro_f1 += m.f1.back();
  }
  if (present) {
    m.macro_precision /= double(present);
    m.macro_recall /= double(present);
    m.macro_f1 /= double(present);
  }
  return m;
}

std::string format_metrics(const ClassifyMetrics& m, const std::vector<std::string>& labels) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "accuracy %.4f (%lld/%lld)\n", m.accuracy, (long long)m.correct,
                (long long)m.n);
  out += line;
  size_t w = 9;
  for (const auto& l : labels) w = std::max(w, l.size());
  std::snprintf(line, sizeof line, "%-*s %9s %9s %9s %8s\n", int(w), "label", "precision",
                "recall", "f1", "support");
  out += line;
  for (size_t k = 0; k < labels.size(); ++k) {
    std::snprintf(line, sizeof line, "%-*s %9.4f %9.4f %9.4f %8lld\n", int(w), labels[k].c_str(),
                  m.precision[k], m.recall[k], m.f1[k], (long long)m.support[k]);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-*s %9.4f %9.4f %9.4f %8lld\n", int(w), "macro avg",
                m.macro_precision, m.macro_recall, m.macro_f1, (long long)m.n);
  out += line;
  out += "confusion matrix (rows: true, columns: predicted)\n";
  for (size_t k = 0; k < labels.size(); ++k) {
    std::snprintf(line, sizeof line, "%-*s", int(w), labels[k].c_str());
    out += line;
    for (int64_t c : m.confusion[k]) {
      std::snprintf(line, sizeof line, " %4lld", (long long)c);
      out += line;
    }
    out += "\n";
  }
  return out;
}

namespace {
std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o.append("&lt;");
    else if (c == '>') o.append("&gt;");
    else if (c == '&') o.append("&amp;");
    else if (c == '"') o.append("&quot;");
    else o.push_back(c);
  }
  return o;
}
}  // namespace

std::string confusion_svg(const ClassifyMetrics& m, const std::vector<std::string>& labels,
                          const std::string& title) {
  const int K = int(labels.size()), cell = 40, left = 120, top = 110;
  const int width = left + K * cell + 20, height = top + K * cell + 50;
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                width, height);
  s += buf;
  std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"20\" font-size=\"14\">%s — accuracy %.4f (n=%lld)</text>\n",
                xml_escape(title).c_str(), m.accuracy, (long long)m.n);
  s += buf;
  std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\">predicted</text>\n", left, top - 75);
  s += buf;
  std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\">true</text>\n", top - 5);
  s += buf;
  for (int k = 0; k < K; ++k) {
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 5,
                  top + k * cell + cell / 2 + 4, xml_escape(labels[size_t(k)]).c_str());
    s += buf;
    const int x = left + k * cell + cell / 2 + 4, y = top - 5;
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%d\" y=\"%d\" transform=\"rotate(-60 %d %d)\">%s</text>\n", x, y, x, y,
                  xml_escape(labels[size_t(k)]).c_str());
    s += buf;
  }
  for (int r = 0; r < K; ++r) {
    const int64_t row = std::max<int64_t>(1, m.support[size_t(r)]);
    for (int c = 0; c < K; ++c) {
      const int64_t n = m.confusion[size_t(r)][size_t(c)];
      const double f = double(n) / double(row);
      const int shade = 255 - int(f * 200.0);  // white → blue by the row's fraction
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\" "
                    "stroke=\"#ccc\"/>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\"%s>%lld</text>\n",
                    left + c * cell, top + r * cell, cell, cell, shade, shade,
                    left + c * cell + cell / 2, top + r * cell + cell / 2 + 4,
                    f > 0.5 ? " fill=\"white\"" : "", (long long)n);
      s += buf;
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace tock
