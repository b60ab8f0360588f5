// The key/value cache, one growable store per sequence, so that a server can hold many
// sequences of different lengths, free one, or fork one from another's prefix.
// Layout per sequence and layer: K and V each hold n_heads runs of `capacity` positions × head_dim
// values (f32 or f16, type()): kv head g's vector of position j at element (g·capacity + j)·head_dim.
// Head-major, so that decode attention at depth streams each kv head's keys and values as one
// contiguous run (bench_attention_decode --head-major); with n_heads = 1 (the exact path's
// attention_one) it is plain rows of kv_dim values.
// f16 (llama.cpp's default) halves the bytes attention reads per token at depth; f32 keeps the
// reference (exact) path's arithmetic free of cache rounding.
#pragma once
#include <cstdint>
#include <cstddef>
#include <map>
#include <vector>

#include "core/dtype.hpp"
#include "kernels/attention.hpp"

namespace tock {

class KVCache {
 public:
  // type: DType::F32 or DType::F16; n_heads divides kv_dim (else Error).
  KVCache(int64_t n_layer, int64_t kv_dim, int64_t max_positions, DType type = DType::F32, int64_t n_heads = 1);

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

  // Stores position pos's key and value rows (kv_dim f32 each, kv head g at g·head_dim, rounded
  // to type()). The position must be reserved.
  void write(int32_t seq, int64_t layer, int64_t pos, const float* k, const float* v);
  // The layer's keys and values as attention reads them (stride head_dim, head_stride
  // capacity·head_dim; with one head, rows: stride kv_dim, head_stride 0, any reader's head
  // count); valid until the sequence grows.
  KvRows rows(int32_t seq, int64_t layer) const;
  // The layer's raw buffers, in type(). With n_heads() = 1, position j's row at element j·kv_dim().
  const void* k(int32_t seq, int64_t layer) const { return seq_at(seq).k[std::size_t(layer)].data(); }
  const void* v(int32_t seq, int64_t layer) const { return seq_at(seq).v[std::size_t(layer)].data(); }
  DType type() const { return type_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t n_heads() const { return n_heads_; }
  int64_t bytes() const;             // memory held now
  int64_t bytes_per_position() const { return 2 * n_layer_ * kv_dim_ * elem_; }

 private:
  struct Seq {
    int64_t n_pos = 0;
    int64_t capacity = 0;
    std::vector<std::vector<std::byte>> k, v;  // [layer][n_heads · capacity · head_dim · elem]
  };
  Seq& seq_at(int32_t seq);
  const Seq& seq_at(int32_t seq) const;
  // Copies the first n positions of every head from buffer `from` (capacity cf) to `to` (ct).
  void copy_heads(const std::byte* from, int64_t cf, std::byte* to, int64_t ct, int64_t n) const;

  int64_t n_layer_, kv_dim_, max_pos_;
  DType type_;
  int64_t elem_;  // bytes per element
  int64_t n_heads_, head_dim_;
  std::map<int32_t, Seq> seqs_;
};

}  // namespace tock
