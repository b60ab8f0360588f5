// Byte-level BPE training with incremental pair counts (see bpe_trainer.hpp).
#include "text/bpe_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "text/byte_level.hpp"
#include "text/pretokenizer.hpp"

namespace tock {

namespace {

using Pair = uint64_t;  // (left id << 32) | right id: comparing Pairs compares left, then right
Pair make_pair(uint32_t a, uint32_t b) { return (Pair(a) << 32) | b; }
uint32_t left_of(Pair p) { return uint32_t(p >> 32); }
uint32_t right_of(Pair p) { return uint32_t(p); }

// A heap entry: a pair, its count when pushed, and the words (indices, ascending) that
// held it then.
struct Entry {
  int64_t count;
  Pair pair;
  std::vector<uint32_t> words;
};
// std::*_heap keep the "largest" on top: the higher count, then the smaller pair.
bool heap_less(const Entry& x, const Entry& y) {
  if (x.count != y.count) return x.count < y.count;
  return x.pair > y.pair;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct BpeTrainer::Impl {
  PreTokenizer pre;
  TokenIndex word_counts;  // word bytes -> count (int32 is too small: counts go in a side vector)
  std::vector<int64_t> counts;
  std::vector<std::string_view> scratch;
  explicit Impl(const std::string& rule) : pre(PreTokenizer::for_name(rule)) {}
};

BpeTrainer::BpeTrainer(BpeTrainerOptions opt) : opt_(std::move(opt)), impl_(new Impl(opt_.pre)) {}
BpeTrainer::~BpeTrainer() { delete impl_; }

void BpeTrainer::add_word(std::string_view word, int64_t count) {
  if (word.empty() || count <= 0) return;
  auto it = impl_->word_counts.find(word);
  if (it == impl_->word_counts.end()) {
    impl_->word_counts.emplace(std::string(word), int32_t(impl_->counts.size()));
    impl_->counts.push_back(count);
  } else {
    impl_->counts[size_t(it->second)] += count;
  }
  stats_.words += uint64_t(count);
}

void BpeTrainer::add_text(std::string_view text) {
  const auto t0 = std::chrono::steady_clock::now();
  stats_.bytes += text.size();
  impl_->scratch.clear();
  impl_->pre.split(text, impl_->scratch);
  for (std::string_view w : impl_->scratch) add_word(w, 1);
  stats_.count_seconds += seconds_since(t0);
}

void BpeTrainer::add_texts(const std::vector<std::string>& docs) {
  const auto t0 = std::chrono::steady_clock::now();
  // A few chunks per thread: each builds its own table (a copy of every distinct word, so
  // fewer is cheaper). The totals, and so the merges, do not depend on the chunking.
  const size_t n_chunks = std::min<size_t>(docs.size(), size_t(thread_count()) * 2);
  std::vector<TokenIndex> tables(n_chunks);
  std::vector<std::vector<int64_t>> counts(n_chunks);
  parallel_for(int64_t(n_chunks), [&](int64_t b, int64_t e) {
    std::vector<std::string_view> words;
    for (int64_t c = b; c < e; ++c) {
      auto& table = tables[size_t(c)];
      auto& cnt = counts[size_t(c)];
      for (size_t d = size_t(c) * docs.size() / n_chunks; d < size_t(c + 1) * docs.size() / n_chunks; ++d) {
        words.clear();
        impl_->pre.split(docs[d], words);
        for (std::string_view w : words) {
          auto it = table.find(w);
          if (it == table.end()) {
            table.emplace(std::string(w), int32_t(cnt.size()));
            cnt.push_back(1);
          } else {
            ++cnt[size_t(it->second)];
          }
        }
      }
    }
  });
  for (size_t c = 0; c < n_chunks; ++c)
    for (const auto& [w, idx] : tables[c]) add_word(w, counts[c][size_t(idx)]);
  for (const auto& d : docs) stats_.bytes += d.size();
  stats_.count_seconds += seconds_since(t0);
}

Vocab BpeTrainer::train() {
  const auto t0 = std::chrono::steady_clock::now();
  // Specials: non-empty, distinct.
  std::unordered_set<std::string> seen;
  for (const auto& s : opt_.specials) {
    if (s.empty()) fail("tokenizer train: a special token is empty");
    if (!seen.insert(s).second) fail("tokenizer train: special token '", s, "' is given twice");
  }
  const int64_t n_specials = int64_t(opt_.specials.size());
  if (opt_.vocab_size < 256 + n_specials)
    fail("tokenizer train: --vocab-size ", opt_.vocab_size, " is below 256 byte tokens + ", n_specials,
         " special tokens");
  const size_t max_learned = size_t(opt_.vocab_size - n_specials);

  // The byte tokens, in byte-level code point order (GPT-2's vocabulary order).
  std::vector<uint8_t> bytes_by_id(256);
  for (int b = 0; b < 256; ++b) bytes_by_id[size_t(b)] = uint8_t(b);
  std::sort(bytes_by_id.begin(), bytes_by_id.end(),
            [](uint8_t x, uint8_t y) { return byte_to_codepoint(x) < byte_to_codepoint(y); });
  std::vector<std::string> tokens;  // raw bytes of each token
  TokenIndex token_ids;
  uint32_t id_of_byte[256];
  for (uint32_t id = 0; id < 256; ++id) {
    const uint8_t b = bytes_by_id[id];
    id_of_byte[b] = id;
    tokens.emplace_back(1, char(b));
    token_ids.emplace(tokens.back(), int32_t(id));
  }

  // Words as symbol sequences, with their counts.
  std::vector<std::vector<uint32_t>> words(impl_->word_counts.size());
  std::vector<int64_t> wcount(words.size());
  {
    // Order words by their bytes so that the run does not depend on hash-map order.
    std::vector<std::pair<std::string_view, int32_t>> sorted;
    sorted.reserve(words.size());
    for (const auto& [w, idx] : impl_->word_counts) sorted.emplace_back(w, idx);
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      for (char c : sorted[i].first) words[i].push_back(id_of_byte[uint8_t(c)]);
      wcount[i] = impl_->counts[size_t(sorted[i].second)];
    }
  }
  stats_.unique_words = words.size();

  // Initial pair counts and where each pair occurs.
  std::unordered_map<Pair, int64_t> pair_counts;
  std::unordered_map<Pair, std::vector<uint32_t>> where;
  for (uint32_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const Pair p = make_pair(s[i], s[i + 1]);
      pair_counts[p] += wcount[w];
      auto& pos = where[p];
      if (pos.empty() || pos.back() != w) pos.push_back(w);
    }
  }
  std::vector<Entry> heap;
  heap.reserve(where.size());
  for (auto& [p, pos] : where) heap.push_back(Entry{pair_counts[p], p, std::move(pos)});
  where.clear();
  std::make_heap(heap.begin(), heap.end(), heap_less);

  std::vector<std::string> merges;
  std::unordered_set<Pair> merged;
  const int64_t min_count = std::max<int64_t>(1, opt_.min_frequency);
  std::unordered_map<Pair, std::vector<uint32_t>> to_push;
  auto change = [&](uint32_t a, uint32_t b, int64_t delta, uint32_t w) {
    const Pair p = make_pair(a, b);
    pair_counts[p] += delta;
    if (delta > 0) {
      auto& pos = to_push[p];
      if (pos.empty() || pos.back() != w) pos.push_back(w);
    }
  };

  while (tokens.size() < max_learned && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), heap_less);
    Entry top = std::move(heap.back());
    heap.pop_back();
    const int64_t now = pair_counts[top.pair];
    if (top.count != now) {  // stale: re-queue with the current count
      top.count = now;
      heap.push_back(std::move(top));
      std::push_heap(heap.begin(), heap.end(), heap_less);
      continue;
    }
    if (top.count < min_count) break;

    const uint32_t a = left_of(top.pair), b = right_of(top.pair);
    std::string joined = tokens[a] + tokens[b];
    uint32_t id;
    if (auto it = token_ids.find(joined); it != token_ids.end()) {
      id = uint32_t(it->second);
    } else {
      id = uint32_t(tokens.size());
      token_ids.emplace(joined, int32_t(id));
      tokens.push_back(std::move(joined));
    }
    if (merged.insert(top.pair).second) {
      merges.push_back(byte_level_encode(tokens[a]) + " " + byte_level_encode(tokens[b]));
      stats_.last_merge_count = top.count;
    }

    // Merge (a, b) -> id left to right in each word that held the pair, and move the counts
    // of the neighbouring pairs: (prev, a) -> (prev, id) and (b, next) -> (id, next).
    for (uint32_t w : top.words) {
      auto& s = words[w];
      const int64_t c = wcount[w];
      size_t out = 0;
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          if (out > 0) {
            change(s[out - 1], a, -c, w);
            change(s[out - 1], id, c, w);
          }
          if (i + 2 < s.size()) {
            change(b, s[i + 2], -c, w);
            change(id, s[i + 2], c, w);
          }
          s[out++] = id;
          i += 2;
        } else {
          s[out++] = s[i++];
        }
      }
      s.resize(out);
    }
    // Sorted so that the heap's contents do not depend on hash-map order.
    std::vector<std::pair<Pair, std::vector<uint32_t>>> fresh(std::make_move_iterator(to_push.begin()),
                                                              std::make_move_iterator(to_push.end()));
    to_push.clear();
    std::sort(fresh.begin(), fresh.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (auto& [p, pos] : fresh) {
      const int64_t cnt = pair_counts[p];
      if (cnt > 0) {
        heap.push_back(Entry{cnt, p, std::move(pos)});
        std::push_heap(heap.begin(), heap.end(), heap_less);
      }
    }
  }
  stats_.merges = int32_t(merges.size());

  Vocab v;
  v.kind = TokenizerKind::BytePairBpe;
  v.pre = opt_.pre;
  for (const auto& t : tokens) v.tokens.push_back(byte_level_encode(t));
  v.types.assign(v.tokens.size(), TokenType::Normal);
  v.merges = std::move(merges);
  for (const auto& s : opt_.specials) {
    v.tokens.push_back(s);
    v.types.push_back(TokenType::Control);
  }
  // End of text: <|endoftext|> if given, else the first special. GPT-2 uses it as both.
  if (n_specials > 0) {
    int32_t eos = int32_t(tokens.size());
    for (size_t k = 0; k < opt_.specials.size(); ++k)
      if (opt_.specials[k] == "<|endoftext|>") eos = int32_t(tokens.size() + k);
    v.eos = v.bos = eos;
  }
  stats_.merge_seconds += seconds_since(t0);
  return v;
}

void write_tokenizer_gguf(const Vocab& v, const std::string& path, const std::string& name) {
  if (v.kind != TokenizerKind::BytePairBpe) fail("write_tokenizer_gguf: only byte-level BPE is supported");
  GgufWriter w;
  w.set("general.name", GgufValue::of_string(name));
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string(v.pre));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(v.tokens));
  std::vector<int32_t> types;
  for (size_t i = 0; i < v.tokens.size(); ++i)
    types.push_back(v.types.empty() ? int32_t(TokenType::Normal) : int32_t(v.types[i]));
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings(v.merges));
  if (v.bos >= 0) w.set("tokenizer.ggml.bos_token_id", GgufValue::of_u32(uint32_t(v.bos)));
  if (v.eos >= 0) w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(uint32_t(v.eos)));
  if (v.pad >= 0) w.set("tokenizer.ggml.padding_token_id", GgufValue::of_u32(uint32_t(v.pad)));
  w.set("tokenizer.ggml.add_bos_token", GgufValue::of_bool(v.add_bos));
  w.set("tokenizer.ggml.add_eos_token", GgufValue::of_bool(v.add_eos));
  w.write(path);
}

}  // namespace tock
