// Command-line helpers shared by the bench programs (header only: bench/*.cpp are one program each).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// "1,4,8" -> {1, 4, 8}.
inline std::vector<int64_t> int_list(const std::string& s) {
  std::vector<int64_t> out;
  size_t b = 0;
  while (b < s.size()) {
    const size_t e = std::min(s.find(',', b), s.size());
    out.push_back(std::stoll(s.substr(b, e - b)));
    b = e + 1;
  }
  return out;
}

}  // namespace bench
