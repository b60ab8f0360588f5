// The tokenizer: special-token splitting, dispatch to byte-level BPE or SentencePiece BPE,
// and decoding (see tokenizer.hpp).
#include "text/tokenizer.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"
#include "text/bpe.hpp"
#include "text/byte_level.hpp"
#include "text/pretokenizer.hpp"
#include "text/spm.hpp"

namespace tock {

namespace {

const std::string_view kSpace = "\xE2\x96\x81";  // '▁' U+2581, SentencePiece's space

// End-of-turn tokens by name, in llama.cpp's order of preference (llama-vocab.cpp).
const std::string_view kEotNames[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
    "_<EOT>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
};
// Further names that end generation when they are control tokens.
const std::string_view kEogNames[] = {"</s>", "<|eom_id|>", "<|return|>", "<|call|>"};

bool is_special_type(TokenType t) {
  return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, from.size()) == from) {
      out += to;
      i += from.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

// "<0x0A>" -> 10, or -1.
int parse_byte_token(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  const size_t n = vocab_.tokens.size();
  if (n == 0) fail("tokenizer: tokenizer.ggml.tokens is empty");
  if (n > size_t(INT32_MAX)) fail("tokenizer: tokenizer.ggml.tokens has ", n, " entries");
  if (!vocab_.types.empty() && vocab_.types.size() != n)
    fail("tokenizer: tokenizer.ggml.token_type has ", vocab_.types.size(), " entries, tokens has ", n);
  if (!vocab_.scores.empty() && vocab_.scores.size() != n)
    fail("tokenizer: tokenizer.ggml.scores has ", vocab_.scores.size(), " entries, tokens has ", n);
  if (vocab_.types.empty()) vocab_.types.assign(n, TokenType::Normal);
  for (size_t i = 0; i < n; ++i) {
    const auto t = int32_t(vocab_.types[i]);
    if (t < 0 || t > 6) fail("tokenizer: tokenizer.ggml.token_type[", i, "] = ", t, " is not a token type (0-6)");
  }
  auto check_special = [&](int32_t& id, const char* key) {
    if (id < -1 || id >= int32_t(n))
      fail("tokenizer: tokenizer.ggml.", key, " = ", id, " is outside the vocabulary of ", n, " tokens");
  };
  check_special(vocab_.bos, "bos_token_id");
  check_special(vocab_.eos, "eos_token_id");
  check_special(vocab_.eot, "eot_token_id");
  check_special(vocab_.unk, "unknown_token_id");
  check_special(vocab_.pad, "padding_token_id");

  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) index_.emplace(vocab_.tokens[i], int32_t(i));

  // Bytes each token stands for.
  pieces_.resize(n);
  const bool spm = vocab_.kind == TokenizerKind::SentencePiece;
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = vocab_.tokens[i];
    const TokenType ty = vocab_.types[i];
    if (is_special_type(ty)) {
      pieces_[i] = t;
    } else if (spm && ty == TokenType::Byte && parse_byte_token(t) >= 0) {
      pieces_[i] = std::string(1, char(parse_byte_token(t)));
    } else if (spm) {
      pieces_[i] = replace_all(t, kSpace, " ");
    } else {
      pieces_[i] = byte_level_decode(t);
    }
  }

  // Tokens matched in the text before tokenizing: longest first for leftmost-longest.
  for (size_t i = 0; i < n; ++i)
    if (is_special_type(vocab_.types[i]) && !vocab_.tokens[i].empty())
      specials_[uint8_t(vocab_.tokens[i][0])].push_back(int32_t(i));
  for (auto& list : specials_)
    std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) {
      return vocab_.tokens[size_t(a)].size() > vocab_.tokens[size_t(b)].size();
    });

  // End of turn / end of generation.
  if (vocab_.eot < 0)
    for (auto name : kEotNames)
      if (auto id = token_id(name)) {
        vocab_.eot = *id;
        break;
      }
  auto add_eog = [&](int32_t id) {
    if (id >= 0 && std::find(eog_.begin(), eog_.end(), id) == eog_.end()) eog_.push_back(id);
  };
  add_eog(vocab_.eos);
  add_eog(vocab_.eot);
  for (auto names : {std::span<const std::string_view>(kEotNames), std::span<const std::string_view>(kEogNames)})
    for (auto name : names)
      if (auto id = token_id(name); id && is_control(*id)) add_eog(*id);

  if (spm) {
    spm_ = std::make_unique<SpmModel>(vocab_, index_);
  } else {
    pre_ = std::make_unique<PreTokenizer>(PreTokenizer::for_name(vocab_.pre));
    bpe_ = std::make_unique<BpeModel>(vocab_, index_);
    if (pre_->ignore_merges())
      for (size_t i = 0; i < n; ++i)
        if (!is_special_type(vocab_.types[i])) whole_words_.emplace(pieces_[i], int32_t(i));
  }
}

Tokenizer::~Tokenizer() = default;

const std::string& Tokenizer::pre_rule() const {
  static const std::string none;
  return pre_ ? pre_->rule_name() : none;
}

void Tokenizer::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    fail("tokenizer: token id ", id, " is outside the vocabulary of ", vocab_size(), " tokens");
}

const std::string& Tokenizer::piece(int32_t id) const {
  check_id(id);
  return pieces_[size_t(id)];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  check_id(id);
  return vocab_.tokens[size_t(id)];
}

std::optional<int32_t> Tokenizer::token_id(std::string_view text) const {
  auto it = index_.find(text);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

TokenType Tokenizer::type(int32_t id) const {
  check_id(id);
  return vocab_.types[size_t(id)];
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::find(eog_.begin(), eog_.end(), id) != eog_.end();
}

bool Tokenizer::strips_leading_space() const {
  return vocab_.kind == TokenizerKind::SentencePiece && vocab_.add_space_prefix;
}

void Tokenizer::encode_text(std::string_view text, std::vector<int32_t>& out) const {
  if (spm_) {
    // SentencePiece sees spaces as '▁'. Every plain-text fragment starts the input or
    // follows a special token, and each gets the leading '▁' (llama.cpp, HF legacy Llama).
    std::string s;
    if (vocab_.add_space_prefix) s = kSpace;
    s += replace_all(text, " ", kSpace);
    spm_->encode(s, out);
    return;
  }
  thread_local std::vector<std::string_view> words;
  words.clear();
  pre_->split(text, words);
  for (std::string_view w : words) {
    if (!whole_words_.empty()) {
      auto it = whole_words_.find(w);
      if (it != whole_words_.end()) {
        out.push_back(it->second);
        continue;
      }
    }
    bpe_->encode_word(w, out);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, EncodeOptions opt) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (opt.add_special && vocab_.add_bos && vocab_.bos >= 0) out.push_back(vocab_.bos);
  size_t start = 0;  // start of the plain text not yet encoded
  for (size_t i = 0; i < text.size(); ++i) {
    const auto& cands = specials_[uint8_t(text[i])];
    if (cands.empty()) continue;
    int32_t hit = -1;
    for (int32_t id : cands) {
      const std::string& t = vocab_.tokens[size_t(id)];
      const bool allowed = opt.parse_special || vocab_.types[size_t(id)] == TokenType::UserDefined;
      if (allowed && text.substr(i, t.size()) == t) {
        hit = id;
        break;
      }
    }
    if (hit < 0) continue;
    if (i > start) encode_text(text.substr(start, i - start), out);
    out.push_back(hit);
    start = i + vocab_.tokens[size_t(hit)].size();
    i = start - 1;
  }
  if (start < text.size()) encode_text(text.substr(start), out);
  if (opt.add_special && vocab_.add_eos && vocab_.eos >= 0) out.push_back(vocab_.eos);
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  bool first = true;
  for (int32_t id : ids) {
    const TokenType t = type(id);
    if (skip_special && (t == TokenType::Control || t == TokenType::Unknown)) continue;
    const std::string& p = pieces_[size_t(id)];
    // SentencePiece: the encoder put a space before the text; take it away again.
    if (first && strips_leading_space() && !is_special_type(t) && !p.empty() && p[0] == ' ')
      out.append(p, 1);
    else
      out += p;
    first = false;
  }
  return out;
}

}  // namespace tock
