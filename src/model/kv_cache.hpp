// The key/value cache, one growable store per sequence, so that a server can hold many
// sequences of different lengths, free one, or fork one from another's prefix.
// Layout per sequence and layer: K and V are (n_pos, NKV·HS) rows of f32 or f16 (type()).
// f16 (llama.cpp's default) halves the bytes attention reads per token at depth; f32 keeps the
// reference (exact) path's arithmetic free of cache rounding.
#pragma once
#include <cstdint>
#include <cstddef>
#include <map>
#include <vector>

#include "core/dtype.hpp"

namespace tock {

class KVCache {
 public:
  // type: DType::F32 or DType::F16 (else Error).
  KVCache(int64_t n_layer, int64_t kv_dim, int64_t max_positions, DType type = DType::F32);

  // Creates an empty sequence; throws if it exists.
  void add_sequence(int32_t seq);
  bool has_sequence(int32_t seq) const { return seqs_.count(seq) != 0; }
  void free_sequence(int32_t seq);
  // dst gets a copy of src's first n positions (prefix sharing); dst is created or replaced.
  void copy_prefix(int32_t src, int32_t dst, int64_t n);
  // Drops positions >= n (e.g. to rewind a chat turn).
  void truncate(int32_t seq, int64_t n);
  void clear() { seqs_.clear(); }

  int64_t length(int32_t seq) const;  // positions stored
  int64_t max_positions() const { return max_pos_; }
  // Makes room for positions [0, n) (amortised growth); throws past max_positions.
  void reserve(int32_t seq, int64_t n);
  void set_length(int32_t seq, int64_t n);

  // Stores position pos's key and value rows (kv_dim f32 each, rounded to type()). The
  // position must be reserved.
  void write(int32_t seq, int64_t layer, int64_t pos, const float* k, const float* v);
  // The layer's rows, position j at element j·kv_dim(), in type().
  const void* k(int32_t seq, int64_t layer) const { return seq_at(seq).k[std::size_t(layer)].data(); }
  const void* v(int32_t seq, int64_t layer) const { return seq_at(seq).v[std::size_t(layer)].data(); }
  DType type() const { return type_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t bytes() const;             // memory held now
  int64_t bytes_per_position() const { return 2 * n_layer_ * kv_dim_ * elem_; }

 private:
  struct Seq {
    int64_t n_pos = 0;
    int64_t capacity = 0;
    std::vector<std::vector<std::byte>> k, v;  // [layer][capacity * kv_dim * elem]
  };
  Seq& seq_at(int32_t seq);
  const Seq& seq_at(int32_t seq) const;

  int64_t n_layer_, kv_dim_, max_pos_;
  DType type_;
  int64_t elem_;  // bytes per element
  std::map<int32_t, Seq> seqs_;
};

}  // namespace tock
