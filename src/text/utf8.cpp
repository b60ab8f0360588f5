// UTF-8 helpers (see utf8.hpp).
#include "text/utf8.hpp"

namespace tock {

static bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

uint32_t utf8_next(std::string_view s, size_t& i) {
  const auto b0 = uint8_t(s[i]);
  const size_t n = utf8_len(b0);
  if (n == 1 || i + n > s.size()) {
    ++i;
    return b0;
  }
  uint32_t cp = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto b = uint8_t(s[i + k]);
    if (!is_cont(b)) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += n;
  return cp;
}

size_t utf8_valid_prefix(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto b0 = uint8_t(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    const size_t len = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3
                       : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > n) return i;
    for (size_t k = 1; k < len; ++k)
      if (!is_cont(uint8_t(s[i + k]))) return i;
    const auto b1 = uint8_t(s[i + 1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) ||  // overlong, surrogate
        (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F))    // overlong, > U+10FFFF
      return i;
    i += len;
  }
  return n;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

size_t utf8_complete_prefix(std::string_view s) {
  // Only the last 3 bytes can belong to an unfinished sequence: find its lead.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = uint8_t(s[n - back]);
    if (is_cont(b)) continue;  // keep looking for the lead
    const size_t need = utf8_len(b);
    if (need > back && b >= 0xC0) {
      // A lead whose sequence is not finished yet; hold it back only if every byte
      // after it is a continuation (checked by the loop reaching here).
      return n - back;
    }
    return n;
  }
  return n;
}

}  // namespace tock
