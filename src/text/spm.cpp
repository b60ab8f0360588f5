// SentencePiece-style BPE (see spm.hpp).
#include "text/spm.hpp"

#include <algorithm>
#include <cstdio>

#include "text/utf8.hpp"

namespace tock {

SpmModel::SpmModel(const Vocab& vocab, const TokenIndex& index) : vocab_(vocab), index_(index) {
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    auto it = index.find(std::string_view(buf));
    byte_token_[b] = it == index.end() ? vocab.unk : it->second;
  }
}

int32_t SpmModel::mergeable(std::string_view text) const {
  auto it = index_.find(text);
  if (it == index_.end()) return -1;
  const int32_t id = it->second;
  if (!vocab_.types.empty()) {
    const TokenType t = vocab_.types[size_t(id)];
    if (t != TokenType::Normal && t != TokenType::UserDefined && t != TokenType::Undefined)
      return -1;
  }
  return id;
}

void SpmModel::encode(std::string_view text, std::vector<int32_t>& out) const {
  struct Sym {
    int32_t start, len, prev, next;  // len 0: merged away
  };
  struct Bigram {
    float score;
    int32_t left, right, len;  // len: combined length when queued (detects stale entries)
    bool operator<(const Bigram& o) const {  // max-heap: highest score, then leftmost
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::vector<Sym> sym;
  for (size_t i = 0; i < text.size();) {
    const size_t len = std::min(utf8_len(uint8_t(text[i])), text.size() - i);
    const int32_t k = int32_t(sym.size());
    sym.push_back(Sym{int32_t(i), int32_t(len), k - 1, -1});
    if (k > 0) sym[size_t(k - 1)].next = k;
    i += len;
  }
  std::vector<Bigram> heap;
  auto push = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Sym &a = sym[size_t(l)], &b = sym[size_t(r)];
    const int32_t id = mergeable(text.substr(size_t(a.start), size_t(a.len + b.len)));
    if (id < 0) return;
    const float score = vocab_.scores.empty() ? 0.f : vocab_.scores[size_t(id)];
    heap.push_back(Bigram{score, l, r, a.len + b.len});
    std::push_heap(heap.begin(), heap.end());
  };
  for (int32_t i = 1; i < int32_t(sym.size()); ++i) push(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Bigram g = heap.back();
    heap.pop_back();
    Sym &a = sym[size_t(g.left)], &b = sym[size_t(g.right)];
    if (a.len == 0 || b.len == 0 || a.len + b.len != g.len || a.next != g.right) continue;
    a.len += b.len;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) sym[size_t(b.next)].prev = g.left;
    push(a.prev, g.left);
    push(g.left, a.next);
  }

  for (int32_t i = sym.empty() ? -1 : 0; i >= 0; i = sym[size_t(i)].next) {
    const std::string_view s = text.substr(size_t(sym[size_t(i)].start), size_t(sym[size_t(i)].len));
    auto it = index_.find(s);
    if (it != index_.end()) {
      out.push_back(it->second);
      continue;
    }
    for (char c : s) {  // byte fallback
      const int32_t id = byte_token_[uint8_t(c)];
      if (id >= 0 && (out.empty() || id != vocab_.unk || out.back() != vocab_.unk))
        out.push_back(id);
    }
  }
}

}  // namespace tock
