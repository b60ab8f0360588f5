// Corpus reading (see corpus.hpp).
#include "train/corpus.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "text/text_cleaning.hpp"

namespace tock {

std::string read_file_bytes(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) fail("cannot open '", path, "': ", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail("'", path, "' is a directory, not a text file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("cannot open '", path, "': ", std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool err = std::ferror(f);
  std::fclose(f);
  if (err) fail("cannot read '", path, "'");
  return out;
}

void split_documents(std::string_view text, std::vector<std::string>& docs) {
  auto push = [&](std::string_view d) {
    for (char c : d)
      if (c != ' ' && c != '\n' && c != '\t') {
        docs.emplace_back(d);
        return;
      }
  };
  size_t doc_start = 0;
  for (size_t a = 0; a < text.size();) {
    size_t b = text.find('\n', a);
    const size_t end = b == std::string_view::npos ? text.size() : b;
    const size_t next = b == std::string_view::npos ? text.size() : b + 1;
    if (text.substr(a, end - a) == "%") {
      push(text.substr(doc_start, a - doc_start));
      doc_start = next;
    }
    a = next;
  }
  push(text.substr(doc_start));
}

Corpus read_corpus(const std::vector<std::string>& paths) {
  Corpus c;
  for (const auto& p : paths) {
    const std::string raw = read_file_bytes(p);
    c.bytes_read += raw.size();
    split_documents(clean_text(raw), c.docs);
  }
  for (const auto& d : c.docs) c.bytes_clean += d.size();
  return c;
}

}  // namespace tock
