// Text cleaning before tokenizer training and data preparation, so that the same text
// always gives the same tokens whatever editor or platform wrote it. The rules, in order
// (version kCleaningRulesVersion; bump it when a rule changes, data sets record it):
//   1. Invalid UTF-8 becomes U+FFFD, one per maximal ill-formed subpart (the Unicode
//      "best practice" of §3.9, the same as Python's bytes.decode("utf-8", "replace")).
//   2. Line endings: "\r\n" and a lone "\r" become "\n".
//   3. Control characters are dropped except "\n" and "\t": C0 (U+0000-U+001F), DEL
//      (U+007F) and C1 (U+0080-U+009F, including NEL U+0085). A byte order mark (U+FEFF)
//      at the very start of the text is dropped too.
//   4. Unicode NFC (canonical composition: "e" + U+0301 -> "é"), by utf8proc.
// What it deliberately does not do: case folding, NFKC (it would turn "ﬁ" into "fi" and
// "²" into "2"), whitespace collapsing, or removing other format characters (ZWJ keeps
// emoji sequences together).
#pragma once
#include <string>
#include <string_view>

namespace tock {

inline constexpr int kCleaningRulesVersion = 1;

// The rules above, applied to `text`.
std::string clean_text(std::string_view text);

// Rule 1 alone: `text` with every ill-formed UTF-8 subpart replaced by U+FFFD.
std::string repair_utf8(std::string_view text);

}  // namespace tock
