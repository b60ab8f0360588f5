// UTF-8 helpers for the tokenizers: sequence lengths, code point decode/encode, and the
// length of the longest prefix that ends on a whole character (for streaming output).
// Lenient by design: tokenizers must accept any bytes, so a malformed sequence is
// treated as single bytes rather than an error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tock {

// Length of the UTF-8 sequence a lead byte announces (1 for ASCII, continuation bytes and
// invalid leads, so a scan always advances).
inline size_t utf8_len(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF8) return 4;
  return 1;
}

// Decodes the code point at s[i] and advances i past it. A malformed sequence yields the
// lead byte's value and advances by one byte.
uint32_t utf8_next(std::string_view s, size_t& i);

// Length of the longest prefix of s that is valid UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF: the rules PCRE2 checks).
size_t utf8_valid_prefix(std::string_view s);

// Appends the UTF-8 encoding of code point cp.
void utf8_append(std::string& out, uint32_t cp);

// Number of leading bytes of s that can be emitted now without splitting a character:
// everything except a trailing sequence that is valid so far but incomplete. Bytes that
// can never complete (stray continuations, bad leads) are not held back.
size_t utf8_complete_prefix(std::string_view s);

}  // namespace tock
