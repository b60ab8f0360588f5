// Classification data: a labels file (one label per line, its line number the class index)
// and TSV files of `label \t text` rows. Errors name the file, line and value.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tock {

struct ClassifyExample {
  int32_t label = 0;
  std::string text;
};

std::vector<std::string> read_labels(const std::string& path);
std::vector<ClassifyExample> read_classify_tsv(const std::string& path,
                                               const std::vector<std::string>& labels);

}  // namespace tock
