// run/log.jsonl: one JSON object per line per training event, flushed line by line so that a
// killed run keeps every line it wrote. bytes() is the length a checkpoint records; opening
// with keep_bytes cuts the file back to that length (the steps after the checkpoint are
// trained again on resume and must not appear twice).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace tock {

class RunLog {
 public:
  // keep_bytes < 0: start a new, empty log.
  RunLog(std::string path, int64_t keep_bytes);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void write(const nlohmann::ordered_json& event);
  int64_t bytes() const { return bytes_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace tock
