// Text cleaning rules (see text_cleaning.hpp).
#include "text/text_cleaning.hpp"

#include <utf8proc.h>

#include <cstdlib>

#include "core/error.hpp"
#include "text/utf8.hpp"

namespace tock {

namespace {

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is ill-formed; then
// `bad` is the length of the maximal ill-formed subpart to replace (at least 1).
// Ranges from Unicode Table 3-7 (Well-Formed UTF-8 Byte Sequences).
size_t well_formed_at(std::string_view s, size_t i, size_t& bad) {
  const auto b0 = uint8_t(s[i]);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 == 0xE0) n = 3, lo = 0xA0;
  else if (b0 >= 0xE1 && b0 <= 0xEC) n = 3;
  else if (b0 == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (b0 >= 0xEE && b0 <= 0xEF) n = 3;
  else if (b0 == 0xF0) n = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
  else if (b0 == 0xF4) n = 4, hi = 0x8F;  // nothing past U+10FFFF
  if (n == 0) {
    bad = 1;
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    const bool in_range = i + k < s.size() && uint8_t(s[i + k]) >= (k == 1 ? lo : 0x80) &&
                          uint8_t(s[i + k]) <= (k == 1 ? hi : 0xBF);
    if (!in_range) {
      bad = k;  // the lead and the continuation bytes accepted so far
      return 0;
    }
  }
  return n;
}

bool is_dropped_control(uint32_t cp) {
  return (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// Canonical composition of one line (NFC never joins across '\n', a starter that composes
// with nothing, so lines can be done one by one and pure-ASCII lines skipped).
void append_nfc(std::string& out, std::string_view line) {
  bool ascii = true;
  for (char c : line) ascii &= uint8_t(c) < 0x80;
  if (ascii) {
    out += line;
    return;
  }
  utf8proc_uint8_t* dst = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(line.data()), utf8proc_ssize_t(line.size()),
                   &dst, utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) fail("clean_text: NFC failed: ", utf8proc_errmsg(n));  // input was repaired first
  out.append(reinterpret_cast<const char*>(dst), size_t(n));
  std::free(dst);
}

}  // namespace

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t bad = 0;
    const size_t n = well_formed_at(s, i, bad);
    if (n) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += kReplacement;
      i += bad;
    }
  }
  return out;
}

std::string clean_text(std::string_view text) {
  const std::string valid = repair_utf8(text);
  // Rules 2 and 3 on code points.
  std::string plain;
  plain.reserve(valid.size());
  size_t i = 0;
  if (std::string_view(valid).substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // leading BOM
  while (i < valid.size()) {
    const size_t start = i;
    const uint32_t cp = utf8_next(valid, i);
    if (cp == '\r') {
      plain += '\n';
      if (i < valid.size() && valid[i] == '\n') ++i;
    } else if (!is_dropped_control(cp)) {
      plain.append(valid, start, i - start);
    }
  }
  // Rule 4, line by line.
  std::string out;
  out.reserve(plain.size());
  for (size_t a = 0; a < plain.size();) {
    size_t b = plain.find('\n', a);
    b = b == std::string::npos ? plain.size() : b + 1;
    append_nfc(out, std::string_view(plain).substr(a, b - a));
    a = b;
  }
  return out;
}

}  // namespace tock
