#include "model/weights.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "kernels/dequantize.hpp"
#include "kernels/packed_rows8.hpp"

namespace tock {
namespace {

class Binder {
 public:
  Binder(const GgufFile& f, ComputePath path, ModelWeights& w) : f_(f), path_(path), w_(w) {}

  // Binds `name` and checks its shape (innermost first). ne1 = 0 means a vector.
  TensorView need(const std::string& name, int64_t ne0, int64_t ne1 = 0) {
    const GgufTensorInfo* info = f_.find_tensor(name);
    if (!info) fail(f_.path(), ": missing tensor '", name, "'");
    return bind(*info, ne0, ne1);
  }
  TensorView maybe(const std::string& name, int64_t ne0, int64_t ne1 = 0) {
    const GgufTensorInfo* info = f_.find_tensor(name);
    return info ? bind(*info, ne0, ne1) : TensorView{};
  }

 private:
  TensorView bind(const GgufTensorInfo& info, int64_t ne0, int64_t ne1) {
    const int64_t want1 = ne1 == 0 ? 1 : ne1;
    if (info.ne[0] != ne0 || info.ne[1] != want1 || info.ne[2] != 1 || info.ne[3] != 1)
      fail(f_.path(), ": tensor '", info.name, "' has shape [", info.ne[0], ", ", info.ne[1], ", ",
           info.ne[2], ", ", info.ne[3], "], expected [", ne0, ", ", want1, "]");
    TensorView v = f_.view(info);
    // Vectors (norms, biases) are always used as f32; matrices only in the exact path.
    if (v.type != DType::F32 && (ne1 == 0 || path_ == ComputePath::exact)) v = to_f32(v);
    return v;
  }

  TensorView to_f32(const TensorView& v) {
    const int64_t n = v.n_elements();
    auto buf = std::make_unique<float[]>(size_t(n));
    for (int64_t r = 0; r < v.n_rows(); ++r)
      dequantize_row(v.type, v.row(r), buf.get() + r * v.ne[0], v.ne[0]);
    TensorView out = v;
    out.type = DType::F32;
    out.data = buf.get();
    out.nbytes = size_t(n) * sizeof(float);
    w_.owned.push_back(std::move(buf));
    return out;
  }

  const GgufFile& f_;
  ComputePath path_;
  ModelWeights& w_;
};

// Repacks W to the rows8 layout (owned by w), on the thread pool, then hands the whole pages of
// W's stored bytes in the file's mapping back to the kernel (MADV_DONTNEED on a read-only private
// file mapping: a later read faults the file's bytes back in, so nothing that still reads them can
// go wrong, it only costs memory again). A tied output's pages go too: the embedding lookups that
// still read token_embd fault back only the pages of the rows they read (a 4 KiB page holds ~6
// Q8_0 rows of 576), not the 28 MiB matrix.
void pack_matrix(TensorView& W, const GgufFile& f, ModelWeights& w) {
  if (!W.data || !rows8_type(W.type) || W.packed) return;
  const int64_t K = W.ne[0], N = W.ne[1], pairs = (N + kRows8Pair - 1) / kRows8Pair;
  const size_t bytes = rows8_bytes(W.type, K, N), alloc = (bytes + 63) / 64 * 64;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, alloc));
  if (!p) fail(f.path(), ": cannot allocate ", alloc, " bytes to repack tensor '", W.name, "'");
  w.packed.emplace_back(p);
  const auto* src = static_cast<const uint8_t*>(W.data);
  parallel_for(pairs, [&](int64_t p0, int64_t p1) { pack_rows8(W.type, src, K, N, p0, p1, p); }, 8);
  W.packed = p;
  if (!f.mapped()) return;
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t b = (reinterpret_cast<uintptr_t>(src) + page - 1) / page * page;
  const uintptr_t e = (reinterpret_cast<uintptr_t>(src) + W.nbytes) / page * page;
  if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);  // a refusal only costs memory
}

void pack_for_avx2(const GgufFile& f, ModelWeights& w) {
  if (active_isa() != Isa::Avx2) return;
  for (LayerWeights& L : w.layers)
    for (TensorView* W : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wqkv, &L.ffn_gate, &L.ffn_up, &L.ffn_down})
      pack_matrix(*W, f, w);
  pack_matrix(w.output, f, w);
}

}  // namespace

ModelWeights bind_weights(const GgufFile& f, const ModelConfig& c, ComputePath path) {
  ModelWeights w;
  Binder b(f, path, w);
  const int64_t C = c.n_embd, F = c.n_ff, V = c.n_vocab, KV = c.kv_dim();
  const bool layer_norm = c.norm == NormKind::layer;
  w.token_embd = b.need("token_embd.weight", C, V);
  if (c.positions == PositionKind::learned)
    w.position_embd = b.need("position_embd.weight", C, c.n_ctx_train);
  w.output_norm = b.need("output_norm.weight", C);
  if (layer_norm) w.output_norm_b = b.need("output_norm.bias", C);
  w.output = b.maybe("output.weight", C, V);
  if (!w.output.data) w.output = w.token_embd;  // tied embeddings
  w.layers.resize(size_t(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    LayerWeights& L = w.layers[size_t(l)];
    const std::string p = cat("blk.", l, ".");
    L.attn_norm = b.need(p + "attn_norm.weight", C);
    L.ffn_norm = b.need(p + "ffn_norm.weight", C);
    if (layer_norm) {
      L.attn_norm_b = b.need(p + "attn_norm.bias", C);
      L.ffn_norm_b = b.need(p + "ffn_norm.bias", C);
    }
    if (f.find_tensor(p + "attn_qkv.weight")) {
      L.wqkv = b.need(p + "attn_qkv.weight", C, C + 2 * KV);
      L.bqkv = b.maybe(p + "attn_qkv.bias", C + 2 * KV);
    } else {
      L.wq = b.need(p + "attn_q.weight", C, C);
      L.wk = b.need(p + "attn_k.weight", C, KV);
      L.wv = b.need(p + "attn_v.weight", C, KV);
      L.bq = b.maybe(p + "attn_q.bias", C);
      L.bk = b.maybe(p + "attn_k.bias", KV);
      L.bv = b.maybe(p + "attn_v.bias", KV);
    }
    L.wo = b.need(p + "attn_output.weight", C, C);
    L.bo = b.maybe(p + "attn_output.bias", C);
    if (c.ffn == FfnKind::swiglu) L.ffn_gate = b.need(p + "ffn_gate.weight", C, F);
    L.ffn_up = b.need(p + "ffn_up.weight", C, F);
    L.ffn_down = b.need(p + "ffn_down.weight", F, C);
    L.ffn_up_b = b.maybe(p + "ffn_up.bias", F);
    L.ffn_down_b = b.maybe(p + "ffn_down.bias", C);
  }
  if (path == ComputePath::fast) pack_for_avx2(f, w);
  return w;
}

}  // namespace tock
