#include "model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "clock/trace.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/activation.hpp"
#include "kernels/attention.hpp"
#include "kernels/dequantize.hpp"
#include "kernels/matmul.hpp"
#include "kernels/norm.hpp"
#include "kernels/rope.hpp"
#include "kernels/swiglu_fast.hpp"

namespace tock {
namespace {

// y (T, N) += b on every row, where the bias b (N f32 values) is present.
void add_bias(const TensorView& b, float* y, int64_t T, int64_t N) {
  if (!b.data) return;
  const auto* bias = static_cast<const float*>(b.data);
  for (int64_t t = 0; t < T; ++t) add_inplace(y + t * N, bias, N);
}

}  // namespace

Model::Model(GgufFile file, ModelOptions options)
    : file_(std::move(file)), options_(options), config_(read_model_config(file_)) {
  if (const GgufTensorInfo* emb = file_.find_tensor("token_embd.weight")) {
    if (config_.n_vocab != 0 && config_.n_vocab != emb->ne[1])
      fail(file_.path(), ": vocab size ", config_.n_vocab, " disagrees with token_embd rows ",
           emb->ne[1]);
    config_.n_vocab = emb->ne[1];
  }
  weights_ = bind_weights(file_, config_, options_.path);
}

std::unique_ptr<Model> Model::load(const std::string& path, ModelOptions options) {
  return std::unique_ptr<Model>(new Model(GgufFile::open(path), options));
}

KVCache Model::make_cache(int64_t max_positions) const {
  const bool quantized = !weights_.layers.empty() && weights_.layers[0].wo.data &&
                         dtype_info(weights_.layers[0].wo.type).block_size > 1;
  const bool f16 = options_.kv == KvPrecision::f16 ||
                   (options_.kv == KvPrecision::automatic && options_.path == ComputePath::fast && quantized);
  const DType type = f16 ? DType::F16 : DType::F32;
  // Head-major on the fast path (decode streams each kv head's run); rows for attention_one.
  return KVCache(config_.n_layer, config_.kv_dim(), max_positions > 0 ? max_positions : config_.n_ctx_train, type,
                 options_.path == ComputePath::fast ? config_.n_head_kv : 1);
}

void Model::Scratch::resize(const ModelConfig& c, int64_t T, int64_t n_kv_max) {
  const auto C = size_t(c.n_embd), KV = size_t(c.kv_dim()), F = size_t(c.n_ff), t = size_t(T);
  x.resize(t * C); h.resize(t * C); q.resize(t * C); att.resize(t * C); proj.resize(t * C);
  k.resize(t * KV); v.resize(t * KV);
  qkv.resize(t * (C + 2 * KV));
  gate.resize(t * F); up.resize(t * F);
  scores.resize(size_t(n_kv_max));
}

void Model::linear(const TensorView& W, const TensorView& b, const float* x, float* y, int64_t T) {
  if (options_.path == ComputePath::exact) {
    // The reference kernel, with W's rows split over the threads (each range is itself a
    // plain reference matmul), one activation row at a time so each output range is contiguous.
    const int64_t N = W.ne[1];
    for (int64_t t = 0; t < T; ++t) {
      thread_pool().parallel_for(N, [&](int64_t n0, int64_t n1) {
        TensorView rows = W;
        rows.ne[1] = n1 - n0;
        rows.data = W.row(n0);
        rows.nbytes = size_t(n1 - n0) * W.row_bytes();
        matmul_ref(rows, x + t * W.ne[0], y + t * N + n0, 1);
      }, 64);
    }
  } else {
    matmul(W, x, y, T);
  }
  add_bias(b, y, T, W.ne[1]);
}

void Model::norm(const TensorView& w, const TensorView& b, const float* x, float* y, int64_t T) {
  const auto* wp = static_cast<const float*>(w.data);
  if (config_.norm == NormKind::rms) {
    rms_norm(x, wp, y, T, config_.n_embd, config_.norm_eps);
  } else {
    layer_norm(x, wp, static_cast<const float*>(b.data), y, T, config_.n_embd, config_.norm_eps);
  }
}

// Causal attention of each token over its own sequence, positions 0..pos: s_.q -> s_.att.
// The clock may ask for the batch's last token's attention weights.
void Model::attend(int64_t l, const Batch& batch, KVCache& cache) {
  const ModelConfig& c = config_;
  const int64_t T = batch.size(), C = c.n_embd;
  const int64_t NH = c.n_head, NKV = c.n_head_kv, HS = c.head_dim;
  const float scale = 1.0f / std::sqrt(float(HS));
  if (options_.path == ComputePath::exact) {
    if (cache.type() != DType::F32 || cache.n_heads() != 1)
      fail("forward: the exact path needs an f32 kv cache of plain rows (Model::make_cache)");
    for (int64_t t = 0; t < T; ++t) {
      const int32_t sq = batch.seq[size_t(t)];
      const int64_t n_kv = batch.pos[size_t(t)] + 1;
      attention_one(s_.q.data() + t * C, static_cast<const float*>(cache.k(sq, l)),
                    static_cast<const float*>(cache.v(sq, l)), n_kv, NH, NKV, HS, scale,
                    s_.att.data() + t * C, s_.scores.data(),
                    t == T - 1 ? clock::attention_slot(l, NH, n_kv) : nullptr);
    }
    return;
  }
  // Runs of consecutive tokens of one sequence (a prompt's prefill, or one decode token each).
  runs_.clear();
  bool all_single = true;
  for (int64_t t0 = 0, t1; t0 < T; t0 = t1) {
    const int32_t sq = batch.seq[size_t(t0)];
    for (t1 = t0 + 1; t1 < T && batch.seq[size_t(t1)] == sq; ++t1) {}
    const int64_t n_kv = batch.pos[size_t(t1 - 1)] + 1;
    runs_.push_back({t0, t1, cache.rows(sq, l), t1 == T ? clock::attention_slot(l, NH, n_kv) : nullptr});
    all_single = all_single && t1 - t0 == 1;
  }
  auto run = [&](const AttnRun& r) {
    attention_causal(s_.q.data() + r.t0 * C, r.t1 - r.t0, batch.pos[size_t(r.t0)], r.kv, NH, NKV, HS, scale,
                     s_.att.data() + r.t0 * C, r.probs);
  };
  // A decode tick of several sequences: one sequence per thread at a time (each alone is too
  // small to split over the threads at shallow depth, so one thread did them all in turn; the
  // nested call runs inline and computes the same bits). Prompts keep their own threading.
  if (all_single && runs_.size() > 1) {
    thread_pool().parallel_for(int64_t(runs_.size()), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) run(runs_[size_t(r)]);
    });
  } else {
    for (const AttnRun& r : runs_) run(r);
  }
}

// One transformer block (pre-norm): x += attn(norm(x)); x += ffn(norm(x)).
void Model::block(int64_t l, const Batch& batch, KVCache& cache) {
  const ModelConfig& c = config_;
  const LayerWeights& L = weights_.layers[size_t(l)];
  const int64_t T = batch.size(), C = c.n_embd, KV = c.kv_dim(), F = c.n_ff;
  const int64_t NH = c.n_head, NKV = c.n_head_kv, HS = c.head_dim;
  clock::Lap lap("layer", "layer", int32_t(l));  // per-op spans for the clock (a branch when off)

  // --- attention: q, k, v projections ---
  norm(L.attn_norm, L.attn_norm_b, s_.x.data(), s_.h.data(), T);
  lap.mark("attn_norm");
  if (L.wqkv.data) {
    linear(L.wqkv, L.bqkv, s_.h.data(), s_.qkv.data(), T);
    for (int64_t t = 0; t < T; ++t) {
      const float* row = s_.qkv.data() + t * (C + 2 * KV);
      std::copy_n(row, C, s_.q.data() + t * C);
      std::copy_n(row + C, KV, s_.k.data() + t * KV);
      std::copy_n(row + C + KV, KV, s_.v.data() + t * KV);
    }
  } else if (options_.path == ComputePath::fast) {
    // One pass over the three matrices: x quantized once, one barrier (kernels/matmul.hpp).
    const MatmulOut qkv[3] = {{&L.wq, s_.q.data()}, {&L.wk, s_.k.data()}, {&L.wv, s_.v.data()}};
    matmul_many(qkv, 3, s_.h.data(), T);
    add_bias(L.bq, s_.q.data(), T, C);
    add_bias(L.bk, s_.k.data(), T, KV);
    add_bias(L.bv, s_.v.data(), T, KV);
  } else {
    linear(L.wq, L.bq, s_.h.data(), s_.q.data(), T);
    linear(L.wk, L.bk, s_.h.data(), s_.k.data(), T);
    linear(L.wv, L.bv, s_.h.data(), s_.v.data(), T);
  }
  lap.mark("attn_qkv");
  if (c.positions == PositionKind::rope) {
    rope(s_.q.data(), batch.pos.data(), T, NH, HS, c.rope_dim, c.rope_base, c.rope_style);
    rope(s_.k.data(), batch.pos.data(), T, NKV, HS, c.rope_dim, c.rope_base, c.rope_style);
  }
  lap.mark("rope");
  // Append this batch's keys and values to their sequences' caches.
  for (int64_t t = 0; t < T; ++t)
    cache.write(batch.seq[size_t(t)], l, batch.pos[size_t(t)], s_.k.data() + t * KV, s_.v.data() + t * KV);
  lap.mark("kv_write");
  // Past the last layer's key/value writes, only the rows read afterwards go on.
  const Batch& rows = l + 1 == c.n_layer ? keep_read_rows(batch) : batch;
  const int64_t R = rows.size();
  attend(l, rows, cache);
  lap.mark("attention");
  linear(L.wo, L.bo, s_.att.data(), s_.proj.data(), R);
  add_inplace(s_.x.data(), s_.proj.data(), R * C);
  lap.mark("attn_output");

  // --- feed-forward ---
  norm(L.ffn_norm, L.ffn_norm_b, s_.x.data(), s_.h.data(), R);
  lap.mark("ffn_norm");
  if (c.ffn == FfnKind::swiglu && options_.path == ComputePath::fast && !L.ffn_up_b.data) {
    // gate and up in one pass, each thread applying SwiGLU to the rows it just wrote.
    float* gate = s_.gate.data();
    float* up = s_.up.data();
    matmul_pair_then(L.ffn_gate, L.ffn_up, s_.h.data(), gate, up, R, [=](int64_t t, int64_t n0, int64_t n1) {
      swiglu_fast(gate + t * F + n0, up + t * F + n0, up + t * F + n0, n1 - n0);
    });
  } else if (c.ffn == FfnKind::swiglu) {
    linear(L.ffn_up, L.ffn_up_b, s_.h.data(), s_.up.data(), R);
    linear(L.ffn_gate, TensorView{}, s_.h.data(), s_.gate.data(), R);
    swiglu(s_.gate.data(), s_.up.data(), s_.up.data(), R * F);
  } else {
    linear(L.ffn_up, L.ffn_up_b, s_.h.data(), s_.up.data(), R);
    gelu_tanh(s_.up.data(), R * F);
  }
  lap.mark("ffn_up_gate");
  linear(L.ffn_down, L.ffn_down_b, s_.up.data(), s_.proj.data(), R);
  add_inplace(s_.x.data(), s_.proj.data(), R * C);
  lap.mark("ffn_down");
}

// The rows a forward pass reads after the last layer's key/value writes: those that want logits,
// and the batch's last (whose attention the clock may record). Their q and x rows move to the
// front of the scratch, in batch order (a row only moves down, so in place is safe); a prompt's
// other rows skip the last layer's attention, output projection and feed-forward.
const Batch& Model::keep_read_rows(const Batch& batch) {
  const int64_t T = batch.size(), C = config_.n_embd;
  last_rows_.clear();
  for (int64_t t = 0; t < T; ++t) {
    if (!batch.logits[size_t(t)] && t + 1 < T) continue;
    const int64_t r = last_rows_.size();
    if (r != t) {
      std::copy_n(s_.q.data() + t * C, C, s_.q.data() + r * C);
      std::copy_n(s_.x.data() + t * C, C, s_.x.data() + r * C);
    }
    last_rows_.add(batch.tokens[size_t(t)], batch.pos[size_t(t)], batch.seq[size_t(t)], batch.logits[size_t(t)] != 0);
  }
  return last_rows_;
}

void Model::forward(const Batch& batch, KVCache& cache, std::vector<float>& logits) {
  clock::Lap lap("forward", "forward");
  const int64_t n_out = forward_trunk(batch, cache, lap);
  logits.resize(size_t(n_out * config_.n_vocab));
  if (n_out == 0) return;
  linear(weights_.output, TensorView{}, s_.q.data(), logits.data(), n_out);
  lap.mark("output");
}

void Model::forward_hidden(const Batch& batch, KVCache& cache, std::vector<float>& hidden) {
  clock::Lap lap("forward", "forward");
  const int64_t n_out = forward_trunk(batch, cache, lap);
  hidden.assign(s_.q.begin(), s_.q.begin() + n_out * config_.n_embd);
}

int64_t Model::forward_trunk(const Batch& batch, KVCache& cache, clock::Lap& lap) {
  const ModelConfig& c = config_;
  const int64_t T = batch.size(), C = c.n_embd, V = c.n_vocab;
  if (T == 0) fail("forward: empty batch");
  if (batch.pos.size() != size_t(T) || batch.seq.size() != size_t(T) ||
      batch.logits.size() != size_t(T))
    fail("forward: batch arrays differ in length");

  // Each sequence must continue where its cache ends; find the new lengths.
  std::map<int32_t, int64_t> next;
  int64_t n_kv_max = 0;
  for (int64_t t = 0; t < T; ++t) {
    const int32_t tok = batch.tokens[size_t(t)], sq = batch.seq[size_t(t)];
    if (tok < 0 || tok >= V) fail("forward: token id ", tok, " outside the vocabulary [0, ", V, ")");
    if (!cache.has_sequence(sq)) cache.add_sequence(sq);
    auto [it, inserted] = next.try_emplace(sq, cache.length(sq));
    if (batch.pos[size_t(t)] != it->second)
      fail("forward: token ", t, " of sequence ", sq, " has position ", batch.pos[size_t(t)],
           ", expected ", it->second);
    if (c.positions == PositionKind::learned && it->second >= c.n_ctx_train)
      fail("forward: position ", it->second, " past the model's ", c.n_ctx_train, " learned positions");
    ++it->second;
    n_kv_max = std::max(n_kv_max, it->second);
  }
  for (const auto& [sq, n] : next) cache.reserve(sq, n);
  s_.resize(c, T, n_kv_max);
  lap.mark("batch_setup");

  // Token (and learned position) embeddings.
  for (int64_t t = 0; t < T; ++t) {
    float* xt = s_.x.data() + t * C;
    dequantize_row(weights_.token_embd.type, weights_.token_embd.row(batch.tokens[size_t(t)]), xt, C);
    if (c.positions == PositionKind::learned) {
      std::vector<float>& tmp = s_.h;  // free until the first block
      dequantize_row(weights_.position_embd.type, weights_.position_embd.row(batch.pos[size_t(t)]),
                     tmp.data(), C);
      add_inplace(xt, tmp.data(), C);
    }
  }
  lap.mark("embed");
  for (int64_t l = 0; l < c.n_layer; ++l) block(l, batch, cache);
  lap.skip();  // the layers reported their own spans
  for (const auto& [sq, n] : next) cache.set_length(sq, n);

  // Final norm and output projection, only for the rows that asked for logits (the last layer
  // left just the rows it kept, keep_read_rows, in its scratch).
  const Batch& rows = c.n_layer > 0 ? last_rows_ : batch;
  int64_t n_out = 0;
  for (int64_t t = 0; t < rows.size(); ++t) {
    if (!rows.logits[size_t(t)]) continue;
    std::copy_n(s_.x.data() + t * C, C, s_.h.data() + n_out * C);
    ++n_out;
  }
  if (n_out == 0) return 0;
  norm(weights_.output_norm, weights_.output_norm_b, s_.h.data(), s_.q.data(), n_out);
  lap.mark("output_norm");
  return n_out;
}

}  // namespace tock
