#include "model/kv_cache.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/float16.hpp"

namespace tock {

KVCache::KVCache(int64_t n_layer, int64_t kv_dim, int64_t max_positions, DType type)
    : n_layer_(n_layer), kv_dim_(kv_dim), max_pos_(max_positions), type_(type),
      elem_(type == DType::F16 ? 2 : 4) {
  if (type != DType::F32 && type != DType::F16)
    fail("kv cache: type ", dtype_name(type), " is not f32 or f16");
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
  for (int64_t l = 0; l < n_layer_; ++l) {
    s.k[size_t(l)].resize(size_t(cap * kv_dim_ * elem_));
    s.v[size_t(l)].resize(size_t(cap * kv_dim_ * elem_));
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
    std::copy_n(from2.k[size_t(l)].begin(), n * kv_dim_ * elem_, to.k[size_t(l)].begin());
    std::copy_n(from2.v[size_t(l)].begin(), n * kv_dim_ * elem_, to.v[size_t(l)].begin());
  }
  to.n_pos = n;
}

void KVCache::write(int32_t seq, int64_t layer, int64_t pos, const float* k, const float* v) {
  Seq& s = seq_at(seq);
  if (pos < 0 || pos >= s.capacity) fail("kv cache: write at position ", pos, " outside capacity ", s.capacity);
  std::byte* kd = s.k[size_t(layer)].data() + size_t(pos * kv_dim_ * elem_);
  std::byte* vd = s.v[size_t(layer)].data() + size_t(pos * kv_dim_ * elem_);
  if (type_ == DType::F32) {
    std::memcpy(kd, k, size_t(kv_dim_) * sizeof(float));
    std::memcpy(vd, v, size_t(kv_dim_) * sizeof(float));
    return;
  }
  auto* kh = reinterpret_cast<uint16_t*>(kd);
  auto* vh = reinterpret_cast<uint16_t*>(vd);
  for (int64_t i = 0; i < kv_dim_; ++i) kh[i] = f32_to_f16(k[i]), vh[i] = f32_to_f16(v[i]);
}

int64_t KVCache::bytes() const {
  int64_t total = 0;
  for (const auto& [id, s] : seqs_) total += 2 * n_layer_ * s.capacity * kv_dim_ * elem_;
  return total;
}

}  // namespace tock
