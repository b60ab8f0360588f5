// The GPT-2 byte-level alphabet: every byte stands for one printable code point so that
// BPE vocabularies never hold raw control bytes or spaces. Bytes 0x21-0x7E, 0xA1-0xAC and
// 0xAE-0xFF map to themselves; the other 68 map, in increasing order, to U+0100, U+0101,
// ... (space is 'Ġ' U+0120, newline 'Ċ' U+010A). Source: openai/gpt-2 encoder.py
// bytes_to_unicode().
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tock {

uint32_t byte_to_codepoint(uint8_t b);
// The byte a code point stands for, or -1 when it is not part of the alphabet.
int byte_from_codepoint(uint32_t cp);

// Raw bytes -> their byte-level text (UTF-8).
std::string byte_level_encode(std::string_view bytes);
// Byte-level text -> raw bytes. Code points outside the alphabet are copied through as
// their UTF-8, so that an odd vocabulary entry decodes to something readable.
std::string byte_level_decode(std::string_view text);

}  // namespace tock
