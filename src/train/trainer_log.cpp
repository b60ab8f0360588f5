#include "train/trainer_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace tock {

RunLog::RunLog(std::string path, int64_t keep_bytes) : path_(std::move(path)) {
  if (keep_bytes >= 0) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_, ec);
    if (ec || int64_t(size) < keep_bytes)
      fail("log: '", path_, "' is shorter (", ec ? 0 : size, " bytes) than the checkpoint's ", keep_bytes,
           " bytes; it does not belong to this checkpoint");
    if (::truncate(path_.c_str(), off_t(keep_bytes)) != 0)
      fail("log: cannot cut '", path_, "' back to ", keep_bytes, " bytes: ", std::strerror(errno));
  }
  f_ = std::fopen(path_.c_str(), keep_bytes >= 0 ? "ab" : "wb");
  if (!f_) fail("log: cannot open '", path_, "': ", std::strerror(errno));
  bytes_ = keep_bytes >= 0 ? keep_bytes : 0;
}

RunLog::~RunLog() {
  if (f_) std::fclose(f_);
}

void RunLog::write(const nlohmann::ordered_json& event) {
  // Samples may end inside a UTF-8 character: such bytes become U+FFFD, not an exception.
  const std::string line = event.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0)
    fail("log: write to '", path_, "' failed: ", std::strerror(errno));
  bytes_ += int64_t(line.size());
}

}  // namespace tock
