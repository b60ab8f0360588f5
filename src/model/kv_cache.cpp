#include "model/kv_cache.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "kernels/f16_rows.hpp"

namespace tock {

KVCache::KVCache(int64_t n_layer, int64_t kv_dim, int64_t max_positions, DType type, int64_t n_heads)
    : n_layer_(n_layer), kv_dim_(kv_dim), max_pos_(max_positions), type_(type),
      elem_(type == DType::F16 ? 2 : 4), n_heads_(n_heads), head_dim_(n_heads > 0 ? kv_dim / n_heads : 0) {
  if (type != DType::F32 && type != DType::F16)
    fail("kv cache: type ", dtype_name(type), " is not f32 or f16");
  if (n_heads <= 0 || kv_dim % n_heads != 0)
    fail("kv cache: ", n_heads, " kv heads do not divide kv_dim ", kv_dim);
}

void KVCache::add_sequence(int32_t seq) {
  if (seqs_.count(seq)) fail("kv cache: sequence ", seq, " already exists");
  Seq s;
  s.k.resize(size_t(n_layer_));
  s.v.resize(size_t(n_layer_));
  seqs_.emplace(seq, std::move(s));
}

void KVCache::free_sequence(int32_t seq) { seqs_.erase(seq); }

KVCache::Seq& KVCache::seq_at(int32_t seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) fail("kv cache: no sequence ", seq);
  return it->second;
}
const KVCache::Seq& KVCache::seq_at(int32_t seq) const {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) fail("kv cache: no sequence ", seq);
  return it->second;
}

int64_t KVCache::length(int32_t seq) const { return seq_at(seq).n_pos; }

void KVCache::reserve(int32_t seq, int64_t n) {
  if (n > max_pos_)
    fail("context full: sequence ", seq, " needs ", n, " positions, the context holds ", max_pos_);
  Seq& s = seq_at(seq);
  if (n <= s.capacity) return;
  const int64_t cap = std::min(max_pos_, std::max(n, std::max<int64_t>(64, s.capacity * 2)));
  // Each head's run moves to its place in the larger buffer (every reserved position: a caller
  // may have written some before set_length).
  for (auto* bufs : {&s.k, &s.v})
    for (auto& buf : *bufs) {
      std::vector<std::byte> grown(size_t(cap * kv_dim_ * elem_));
      copy_heads(buf.data(), s.capacity, grown.data(), cap, s.capacity);
      buf = std::move(grown);
    }
  s.capacity = cap;
}

void KVCache::set_length(int32_t seq, int64_t n) {
  Seq& s = seq_at(seq);
  if (n < 0 || n > s.capacity) fail("kv cache: length ", n, " outside capacity ", s.capacity);
  s.n_pos = n;
}

void KVCache::truncate(int32_t seq, int64_t n) {
  Seq& s = seq_at(seq);
  s.n_pos = std::min(s.n_pos, std::max<int64_t>(0, n));
}

void KVCache::copy_prefix(int32_t src, int32_t dst, int64_t n) {
  if (src == dst) fail("kv cache: copy of sequence ", src, " onto itself");
  if (n > seq_at(src).n_pos)
    fail("kv cache: copy of ", n, " positions from sequence ", src, " holding ", seq_at(src).n_pos);
  seqs_.erase(dst);
  add_sequence(dst);
  reserve(dst, std::max<int64_t>(n, 1));
  Seq& to = seq_at(dst);
  const Seq& from2 = seq_at(src);  // std::map references stay valid across inserts
  for (int64_t l = 0; l < n_layer_; ++l) {
    copy_heads(from2.k[size_t(l)].data(), from2.capacity, to.k[size_t(l)].data(), to.capacity, n);
    copy_heads(from2.v[size_t(l)].data(), from2.capacity, to.v[size_t(l)].data(), to.capacity, n);
  }
  to.n_pos = n;
}

void KVCache::copy_heads(const std::byte* from, int64_t cf, std::byte* to, int64_t ct, int64_t n) const {
  if (n <= 0) return;
  const int64_t run = head_dim_ * elem_;  // bytes per position and head
  for (int64_t g = 0; g < n_heads_; ++g) std::memcpy(to + g * ct * run, from + g * cf * run, size_t(n * run));
}

KvRows KVCache::rows(int32_t seq, int64_t layer) const {
  const Seq& s = seq_at(seq);
  // One run: plain rows of kv_dim, however many heads the reader splits them into (head_stride 0).
  if (n_heads_ == 1) return {s.k[size_t(layer)].data(), s.v[size_t(layer)].data(), type_, kv_dim_, 0};
  return {s.k[size_t(layer)].data(), s.v[size_t(layer)].data(), type_, head_dim_, s.capacity * head_dim_};
}

void KVCache::write(int32_t seq, int64_t layer, int64_t pos, const float* k, const float* v) {
  Seq& s = seq_at(seq);
  if (pos < 0 || pos >= s.capacity) fail("kv cache: write at position ", pos, " outside capacity ", s.capacity);
  for (int64_t g = 0; g < n_heads_; ++g) {
    const size_t at = size_t((g * s.capacity + pos) * head_dim_ * elem_);
    std::byte* kd = s.k[size_t(layer)].data() + at;
    std::byte* vd = s.v[size_t(layer)].data() + at;
    const float* kg = k + g * head_dim_;
    const float* vg = v + g * head_dim_;
    if (type_ == DType::F32) {
      std::memcpy(kd, kg, size_t(head_dim_) * sizeof(float));
      std::memcpy(vd, vg, size_t(head_dim_) * sizeof(float));
      continue;
    }
    f32_to_f16_row(kg, reinterpret_cast<uint16_t*>(kd), head_dim_);
    f32_to_f16_row(vg, reinterpret_cast<uint16_t*>(vd), head_dim_);
  }
}

int64_t KVCache::bytes() const {
  int64_t total = 0;
  for (const auto& [id, s] : seqs_) total += 2 * n_layer_ * s.capacity * kv_dim_ * elem_;
  return total;
}

}  // namespace tock
