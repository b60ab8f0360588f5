// A file written atomically: bytes go to a temporary file beside the target, which is
// fsync'ed and renamed over the target on commit(), so readers see the old file or the
// whole new one, never a part (crash, kill -9, full disk). Dropping an uncommitted
// AtomicFile removes the temporary.
#pragma once
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace tock {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // Error naming the file when it cannot be created
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  void commit();  // flush, fsync, rename; Error on failure (the temporary is removed)

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
};

// Writes `text` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace tock
