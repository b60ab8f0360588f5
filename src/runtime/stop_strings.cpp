#include "runtime/stop_strings.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace tock {

StopStrings::StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {
  for (size_t i = 0; i < stops_.size(); ++i)
    if (stops_[i].empty()) fail("stop strings: stop string ", i, " is empty");
}

std::string_view StopStrings::matched() const {
  return matched_ < 0 ? std::string_view{} : std::string_view{stops_[static_cast<size_t>(matched_)]};
}

std::string StopStrings::push(std::string_view piece) {
  if (stopped()) return {};
  held_.append(piece);

  // The earliest occurrence of any stop string wins; at the same position, the first listed.
  size_t best = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t at = held_.find(stops_[i]);
    if (at < best) {
      best = at;
      matched_ = static_cast<int>(i);
    }
  }
  if (best != std::string::npos) {
    std::string out = held_.substr(0, best);
    held_.clear();
    return out;
  }

  // No stop string yet: keep the longest suffix that is a proper prefix of some stop string.
  // held_ contains no full stop string, so any future match starts inside that suffix or later.
  size_t keep = 0;
  for (const auto& s : stops_) {
    const size_t most = std::min(s.size() - 1, held_.size());
    for (size_t n = most; n > keep; --n)
      if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
        keep = n;
        break;
      }
  }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopStrings::flush() {
  std::string out;
  out.swap(held_);
  return stopped() ? std::string{} : out;
}

}  // namespace tock
