// Pre-tokenizer rules on PCRE2 (see pretokenizer.hpp).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/pretokenizer.hpp"

#include <pcre2.h>

#include "core/error.hpp"
#include "text/utf8.hpp"

namespace tock {

namespace {

// The rules, written with Oniguruma/Hugging Face semantics. Sources: the `pre_tokenizer`
// sections of each model family's tokenizer.json, as listed in llama.cpp's llama-vocab.cpp.
// `\s`/`\S` are rewritten by widen_space() below.
const char* const kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kDigits = R"(\p{N})";
const char* const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kTekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// PCRE2's UCP `\s` is "Z category or \t\n\v\f\r"; Oniguruma's (and llama.cpp's) is the
// Unicode White_Space property, which also holds U+0085 (NEL). Rewrite `\s` -> `\s\x{85}`
// inside classes and `\s` -> `[\s\x{85}]`, `\S` -> `[^\s\x{85}]` outside them.
std::string widen_space(std::string_view re) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char d = re[i + 1];
      ++i;
      if (d == 's') {
        out += in_class ? R"(\s\x{85})" : R"([\s\x{85}])";
      } else if (d == 'S' && !in_class) {
        out += R"([^\s\x{85}])";
      } else {
        out += '\\';
        out += d;
      }
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
  explicit Regex(const std::string& pattern) {
    const std::string p = widen_space(pattern);
    int err = 0;
    PCRE2_SIZE at = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                         PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &at, nullptr);
    if (!code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fail("tokenizer: pre-tokenizer regex '", pattern, "' does not compile at offset ", at,
           ": ", reinterpret_cast<const char*>(msg));
    }
    jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  }
  ~Regex() { pcre2_code_free(code); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
};

PreTokenizer PreTokenizer::for_name(std::string_view pre) {
  auto is = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (pre == n) return true;
    return false;
  };
  if (is({"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva"}))
    return PreTokenizer("smollm", {kDigits, kGpt2}, false);
  if (is({"llama-bpe", "llama3", "dbrx", "smaug-bpe"}))
    return PreTokenizer("llama-bpe", {kLlama3}, true);
  if (is({"qwen2", "stablelm2", "hunyuan", "deepseek-r1-qwen"}))
    return PreTokenizer("qwen2", {kQwen2}, false);
  if (is({"chatglm-bpe"})) return PreTokenizer("chatglm-bpe", {kLlama3}, false);
  if (is({"tekken"})) return PreTokenizer("tekken", {kTekken}, true);
  // gpt-2 and its aliases, and the documented fallback for names we do not know.
  return PreTokenizer("gpt-2", {kGpt2}, false);
}

PreTokenizer::PreTokenizer(std::string rule_name, const std::vector<std::string>& regexes,
                           bool ignore_merges)
    : name_(std::move(rule_name)), ignore_merges_(ignore_merges) {
  for (const auto& r : regexes) regexes_.push_back(std::make_unique<Regex>(r));
}

PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
  // The regexes need valid UTF-8: cut the text into valid runs and give every invalid byte
  // a word of its own (it then becomes its byte token).
  while (!text.empty()) {
    const size_t ok = utf8_valid_prefix(text);
    split_valid(text.substr(0, ok), out);
    if (ok == text.size()) break;
    out.push_back(text.substr(ok, 1));
    text.remove_prefix(ok + 1);
  }
}

void PreTokenizer::split_valid(std::string_view text, std::vector<std::string_view>& out) const {
  if (text.empty()) return;
  std::vector<std::string_view> cur{text}, next;
  // One match-data block per call keeps split() safe to call from many threads.
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  if (!md) fail("tokenizer: out of memory for regex match data");
  for (const auto& re : regexes_) {
    next.clear();
    for (std::string_view frag : cur) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(frag.data());
      size_t pos = 0, last = 0;
      while (pos < frag.size()) {
        // split() validated the text, so PCRE2 need not check it again on every call.
        const int rc = re->jit ? pcre2_jit_match(re->code, subject, frag.size(), pos,
                                                 PCRE2_NO_UTF_CHECK, md, nullptr)
                               : pcre2_match(re->code, subject, frag.size(), pos,
                                             PCRE2_NO_UTF_CHECK, md, nullptr);
        if (rc < 0) break;  // no further match: the rest is one unmatched piece
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        const size_t s = ov[0], e = ov[1];
        if (e == s) {  // an empty match cannot happen with these rules; step past it anyway
          pos = s + utf8_len(uint8_t(frag[s]));
          continue;
        }
        if (s > last) next.push_back(frag.substr(last, s - last));
        next.push_back(frag.substr(s, e - s));
        pos = last = e;
      }
      if (last < frag.size()) next.push_back(frag.substr(last));
    }
    std::swap(cur, next);
  }
  pcre2_match_data_free(md);
  out.insert(out.end(), cur.begin(), cur.end());
}

}  // namespace tock
