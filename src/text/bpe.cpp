// Byte-level BPE merging (see bpe.hpp).
#include "text/bpe.hpp"

#include <algorithm>
#include <atomic>
#include <string>

#include "core/error.hpp"
#include "text/byte_level.hpp"
#include "text/utf8.hpp"

namespace tock {

namespace {

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

// Fibonacci hashing: the top bits of the product depend on every bit of both ids.
size_t slot_of(uint64_t key, int shift) { return size_t((key * 0x9E3779B97F4A7C15ull) >> shift); }

// Words repeat (Zipf): a per-thread cache of recent words' ids skips most merging. Entries
// carry the id of the model that wrote them, so tokenizers never see each other's words
// and no lock is needed.
std::atomic<uint64_t> g_next_model_id{1};
constexpr size_t kCacheSlots = size_t(1) << 16;
constexpr size_t kMaxCachedWord = 48;

struct CacheEntry {
  uint64_t owner = 0;
  std::string word;
  std::vector<int32_t> ids;
};

}  // namespace

BpeModel::BpeModel(const Vocab& vocab, const TokenIndex& index)
    : id_(g_next_model_id.fetch_add(1)), unk_(vocab.unk) {
  for (int b = 0; b < 256; ++b) {
    std::string s;
    utf8_append(s, byte_to_codepoint(uint8_t(b)));
    auto it = index.find(s);
    byte_token_[b] = it == index.end() ? -1 : it->second;
  }
  size_t cap = 16;
  shift_ = 60;
  while (cap < vocab.merges.size() * 2) cap *= 2, --shift_;
  table_.assign(cap, Merge{});
  const size_t mask = cap - 1;
  std::string joined;
  for (size_t r = 0; r < vocab.merges.size(); ++r) {
    const std::string& m = vocab.merges[r];
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sp == std::string::npos)
      fail("tokenizer: tokenizer.ggml.merges[", r, "] = '", m, "' is not 'left right'");
    const std::string_view left(m.data(), sp), right(m.data() + sp + 1, m.size() - sp - 1);
    joined.assign(left).append(right);
    auto l = index.find(left), rt = index.find(right), res = index.find(joined);
    if (l == index.end() || rt == index.end() || res == index.end()) continue;
    const uint64_t key = pair_key(l->second, rt->second);
    size_t s = slot_of(key, shift_);
    while (table_[s].key != ~uint64_t(0) && table_[s].key != key) s = (s + 1) & mask;
    if (table_[s].key == key) continue;  // a repeated pair keeps its first (lowest) rank
    table_[s] = Merge{key, int32_t(r), res->second};
    ++n_merges_;
  }
}

const BpeModel::Merge* BpeModel::find(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  const uint64_t key = pair_key(left, right);
  const size_t mask = table_.size() - 1;
  for (size_t s = slot_of(key, shift_);; s = (s + 1) & mask) {
    if (table_[s].key == key) return &table_[s];
    if (table_[s].key == ~uint64_t(0)) return nullptr;
  }
}

void BpeModel::emit(int32_t id, std::vector<int32_t>& out) const {
  if (id >= 0) out.push_back(id);
  else if (unk_ >= 0) out.push_back(unk_);
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() > kMaxCachedWord || word.size() < 2) {
    merge_word(word, out);
    return;
  }
  thread_local std::vector<CacheEntry> cache(kCacheSlots);
  const size_t slot = (std::hash<std::string_view>{}(word) ^ (id_ * 0x9E3779B97F4A7C15ull)) & (kCacheSlots - 1);
  CacheEntry& e = cache[slot];
  if (e.owner == id_ && e.word == word) {
    out.insert(out.end(), e.ids.begin(), e.ids.end());
    return;
  }
  const size_t before = out.size();
  merge_word(word, out);
  e.owner = id_;
  e.word.assign(word);
  e.ids.assign(out.begin() + std::ptrdiff_t(before), out.end());
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() > kSmallWord) {
    merge_long_word(word, out);
    return;
  }
  // Short words (nearly all): arrays and a linear scan for the best pair beat a heap.
  // rank[i]/result[i] describe the pair (id[i], id[i+1]); kNone when it has no merge.
  constexpr int32_t kNone = INT32_MAX;
  int32_t id[kSmallWord], rank[kSmallWord], result[kSmallWord];
  int m = int(word.size());
  for (int i = 0; i < m; ++i) id[i] = byte_token_[uint8_t(word[size_t(i)])];
  auto look = [&](int i) {
    const Merge* g = find(id[i], id[i + 1]);
    rank[i] = g ? g->rank : kNone;
    result[i] = g ? g->result : 0;
  };
  for (int i = 0; i + 1 < m; ++i) look(i);
  while (m > 1) {
    int best = 0;
    for (int i = 1; i + 1 < m; ++i)
      if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks wins
    if (rank[best] == kNone) break;
    id[best] = result[best];
    for (int i = best + 1; i + 1 < m; ++i) id[i] = id[i + 1];
    for (int i = best + 1; i + 2 < m; ++i) rank[i] = rank[i + 1], result[i] = result[i + 1];
    --m;
    if (best > 0) look(best - 1);
    if (best + 1 < m) look(best);
  }
  for (int i = 0; i < m; ++i) emit(id[i], out);
}

void BpeModel::merge_long_word(std::string_view word, std::vector<int32_t>& out) const {
  const int n = int(word.size());
  // Symbols form a linked list over the word's bytes; a merged-away symbol has id kDead.
  struct Sym {
    int32_t id, prev, next;
  };
  // A candidate merge of the symbols starting at `left` and `right`, valid while both
  // still hold the ids they had when it was queued and are still neighbours.
  struct Cand {
    int32_t rank, left, right, left_id, right_id, result;
    bool operator>(const Cand& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  constexpr int32_t kDead = -2;
  thread_local std::vector<Sym> sym;
  thread_local std::vector<Cand> heap;
  sym.resize(size_t(n));
  heap.clear();
  for (int i = 0; i < n; ++i)
    sym[size_t(i)] = Sym{byte_token_[uint8_t(word[size_t(i)])], i - 1, i + 1 < n ? i + 1 : -1};

  auto push = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Merge* m = find(sym[size_t(l)].id, sym[size_t(r)].id);
    if (!m) return;
    heap.push_back(Cand{m->rank, l, r, sym[size_t(l)].id, sym[size_t(r)].id, m->result});
    std::push_heap(heap.begin(), heap.end(), std::greater<>{});
  };
  for (int i = 0; i + 1 < n; ++i) push(i, i + 1);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    const Cand c = heap.back();
    heap.pop_back();
    Sym& L = sym[size_t(c.left)];
    if (L.id != c.left_id || L.next != c.right || sym[size_t(c.right)].id != c.right_id)
      continue;  // stale: one side has merged since
    Sym& R = sym[size_t(c.right)];
    L.id = c.result;
    L.next = R.next;
    if (R.next >= 0) sym[size_t(R.next)].prev = c.left;
    R.id = kDead;
    push(L.prev, c.left);
    push(c.left, L.next);
  }
  for (int i = 0; i >= 0; i = sym[size_t(i)].next) emit(sym[size_t(i)].id, out);
}

}  // namespace tock
