#include "train/classify_data.hpp"

#include <fstream>

#include "core/error.hpp"

namespace tock {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("classify: cannot open labels file '", path, "'");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    for (const auto& l : out)
      if (l == line) fail(path, ": label '", line, "' appears twice");
    out.push_back(line);
  }
  if (out.size() < 2) fail(path, ": needs at least 2 labels, has ", out.size());
  return out;
}

std::vector<ClassifyExample> read_classify_tsv(const std::string& path,
                                               const std::vector<std::string>& labels) {
  std::ifstream in(path);
  if (!in) fail("classify: cannot open data file '", path, "'");
  std::vector<ClassifyExample> out;
  std::string line;
  for (int64_t no = 1; std::getline(in, line); ++no) {
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) fail(path, ":", no, ": no tab between label and text");
    const std::string label = line.substr(0, tab);
    int32_t k = -1;
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == label) k = int32_t(i);
    if (k < 0) fail(path, ":", no, ": label '", label, "' is not in the labels file");
    out.push_back({k, line.substr(tab + 1)});
  }
  if (out.empty()) fail(path, ": no examples");
  return out;
}

}  // namespace tock
