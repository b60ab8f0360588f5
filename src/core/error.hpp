// Tock's error type and a small message builder. Errors say what and where:
// "gguf: tensor 'blk.3.attn_q.weight' data [offset 1234, 9216 bytes] ends past file size 5000".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tock {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Concatenates any streamable values into one string: cat("n=", 3) == "n=3".
template <typename... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

template <typename... Args>
[[noreturn]] void fail(Args&&... args) {
  throw Error(cat(std::forward<Args>(args)...));
}

}  // namespace tock
