// The GPT-2 byte-level alphabet (see byte_level.hpp).
#include "text/byte_level.hpp"

#include <array>

#include "text/utf8.hpp"

namespace tock {

namespace {

struct Table {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 324> from_cp{};  // code points 0..323 cover the whole alphabet

  Table() {
    from_cp.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = self ? uint32_t(b) : next++;
      from_cp[to_cp[b]] = int16_t(b);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

uint32_t byte_to_codepoint(uint8_t b) { return table().to_cp[b]; }

int byte_from_codepoint(uint32_t cp) {
  return cp < table().from_cp.size() ? table().from_cp[cp] : -1;
}

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) utf8_append(out, byte_to_codepoint(uint8_t(c)));
  return out;
}

std::string byte_level_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const uint32_t cp = utf8_next(text, i);
    const int b = byte_from_codepoint(cp);
    if (b >= 0)
      out += char(b);
    else
      out.append(text.substr(start, i - start));
  }
  return out;
}

}  // namespace tock
