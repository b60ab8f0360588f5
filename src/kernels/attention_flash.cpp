// The attention driver: splits T query tokens × NH heads into work units for the thread pool
// and runs the block kernels (attention_kernels.hpp) on them.
//   unit = (kv head g, tile of query tokens, split of positions). A unit's rows are the tile's
//   tokens × the group of query heads that share g (GQA), so each key/value block is read once
//   for all of them. Prefill: tiles of up to kRowsPerTile rows, one split. Decode (and a few
//   tokens after a deep prefix): too few tiles × kv heads for the threads, so positions are
//   split too, each thread walking its range of whole cache rows for every kv head (block by
//   block, every head in turn: attn_heads_*). A split's blocks each leave their own softmax
//   state, and the states are folded in block order afterwards (attn_merge_*) with the very
//   operations one pass would have used: a row's output has the same bits for any split, thread
//   count or tile (attention_kernels.hpp), so a prompt's last token computed alone after a cached
//   prefix gives what it gives inside the prompt's prefill.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/float16.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"
#include "kernels/attention_kernels.hpp"

namespace tock {
namespace {

constexpr int64_t kRowsPerTile = 64;   // query rows per unit (tokens × group heads)
constexpr int64_t kMinSplit = kAttnBlock;  // positions per decode split, at least (whole blocks)
// Decode splits per thread: every split starts cold streams (its first positions arrive as demand
// misses before the prefetch runs ahead) and shortens the prefetched runs, so fewer is cheaper:
// bench_attention_decode at depth 1024 (30 layers, caches evicted), 1 vs 2 per thread, paired
// alternated runs on a loaded 2-core box, median ratio of the per-token medians: 0.91 at 2
// threads (12 pairs), 0.90 at 1 thread (8 of 8 pairs lower; one split = each head walked whole);
// at load ~1.2, 2 threads: 0.95 (2365 vs 2655 µs, 9 of 10 pairs lower), CPU 0.91.
// 4 per thread cost ~10% more CPU than 2. Balance on a busy machine is what more splits would buy.
// Tried on top, no gain beyond the A/A spread (±10% a pair): prefetching each split's first 32
// positions before it starts, 128-position blocks, each head's range walked whole within a split.
constexpr int64_t kSplitsPerThread = 1;
constexpr int64_t kMinParallel = 2048; // rows × positions below which threads cost more than they save
constexpr int64_t kMaxPassHeads = 16;  // kv heads walked together in a split (decode); more go in rounds

// Reused between calls on the calling thread: no allocation once grown.
thread_local std::vector<float> t_state;
thread_local std::vector<int64_t> t_limits;
thread_local std::vector<int> t_done;  // per tile: splits finished (atomic_ref)

float kv_value(const KvRows& kv, const void* base, int64_t i) {
  if (kv.type == DType::F16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return static_cast<const float*>(base)[i];
}

const void* kv_offset(const KvRows& kv, const void* base, int64_t elements) {
  const size_t bytes = kv.type == DType::F16 ? 2 : 4;
  return static_cast<const uint8_t*>(base) + size_t(elements) * bytes;
}

}  // namespace

void attention_causal_isa(Isa isa, const float* q, int64_t T, int64_t p0, const KvRows& kv,
                          int64_t NH, int64_t NKV, int64_t HS, float scale, float* out,
                          float* probs_last) {
  if (int(isa) > int(detected_isa()))
    fail("attention: ISA level ", isa_name(isa), " is not available on this CPU (best: ",
         isa_name(detected_isa()), ")");
  if (kv.type != DType::F32 && kv.type != DType::F16)
    fail("attention: cache type ", dtype_name(kv.type), " is not f32 or f16");
  if (T <= 0 || NKV <= 0 || NH % NKV != 0 || p0 < 0 || HS <= 0)
    fail("attention: bad shape T=", T, " p0=", p0, " NH=", NH, " NKV=", NKV, " HS=", HS);
  const AttnBlockFn block = isa == Isa::Scalar ? attn_block_scalar() : attn_block_avx2();
  const AttnHeadsFn heads = isa == Isa::Scalar ? nullptr : attn_heads_avx2();
  const AttnMergeFn merge = isa == Isa::Scalar ? attn_merge_scalar() : attn_merge_avx2();
  const int64_t group = NH / NKV, n_kv = p0 + T;
  const int64_t hs = kv.head_stride != 0 ? kv.head_stride : HS;  // elements between kv heads
  const int64_t Tq = std::max<int64_t>(1, kRowsPerTile / group);  // tokens per tile
  const int64_t n_tiles = (T + Tq - 1) / Tq;
  const int64_t R_max = std::min(T, Tq) * group;
  const int64_t n_blocks = (n_kv + kAttnBlock - 1) / kAttnBlock;
  int64_t n_split = 1;
  if (n_tiles * NKV < 4 * thread_count())
    n_split = std::clamp<int64_t>(n_kv / kMinSplit, 1, std::max<int64_t>(1, kSplitsPerThread * thread_count() / n_tiles));
  // Split s holds blocks [s·n_blocks/n_split, (s+1)·n_blocks/n_split): equal shares of whole
  // blocks (block boundaries are where every kernel's arithmetic restarts).
  const int64_t units = NKV * n_tiles * n_split;
  // Softmax states per (tile, g): one, or one per block when positions are split. Split 0 folds
  // its blocks in one running state (its first block's), as one pass does; the others leave one
  // state per block, folded into it afterwards (attn_merge_*).
  const int64_t n_slots = n_split > 1 ? n_blocks : 1;

  // Per unit: q rows (R_max·HS); limits apart. Per state: acc (R_max·HS), m and l (R_max each).
  const int64_t per_unit = R_max * HS, per_slot = R_max * (HS + 2);
  const int64_t slots_at = units * per_unit;
  const size_t n_state = size_t(slots_at + NKV * n_tiles * n_slots * per_slot);
  if (t_state.size() < n_state) t_state.resize(n_state);
  if (t_limits.size() < size_t(units * R_max)) t_limits.resize(size_t(units * R_max));
  float* state = t_state.data();
  int64_t* limits = t_limits.data();
  // Unit (tile, g, split) = ((n_tiles−1−tile)·NKV + g)·n_split + split: heaviest tiles first
  // (the last tiles of a causal prefill see the most positions).
  auto tile_of = [&](int64_t u) { return n_tiles - 1 - u / (n_split * NKV); };
  auto first_block = [&](int64_t split) { return split * n_blocks / n_split; };
  // The rows of unit u, with the state of its first block and (splits after the first) the
  // stride to the next block's.
  auto unit_rows = [&](int64_t u) {
    const int64_t split = u % n_split;
    float* acc = state + slots_at + ((u / n_split) * n_slots + first_block(split)) * per_slot;
    float* m = acc + R_max * HS;
    return AttnRows{state + u * per_unit, limits + u * R_max, 0, m, m + R_max, acc, split > 0 ? per_slot : 0};
  };
  // The unit's rows (its tile's tokens × the query heads of kv head g): scaled queries, empty
  // states (the AVX2 kernels do not read an empty state's acc, the scalar one gets zeros:
  // attn_heads_each for per-block states, here for a running one).
  auto prepare = [&](int64_t u) {
    const int64_t g = (u / n_split) % NKV, t0 = tile_of(u) * Tq, t1 = std::min(T, t0 + Tq);
    AttnRows rows = unit_rows(u);
    float* Q = const_cast<float*>(rows.q);
    int64_t* lim = const_cast<int64_t*>(rows.limit);
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t hh = 0; hh < group; ++hh, ++rows.R) {
        const float* qh = q + (t * NH + g * group + hh) * HS;
        for (int64_t d = 0; d < HS; ++d) Q[rows.R * HS + d] = qh[d] * scale;
        lim[rows.R] = p0 + t + 1;
      }
    const int64_t split = u % n_split;
    const int64_t n_own = split > 0 ? first_block(split + 1) - first_block(split) : 1;
    if (split == 0) std::fill_n(rows.acc, rows.R * HS, 0.0f);
    for (int64_t k = 0; k < n_own; ++k) {
      std::fill_n(rows.m + k * per_slot, rows.R, -std::numeric_limits<float>::infinity());
      std::fill_n(rows.l + k * per_slot, rows.R, 0.0f);
    }
    return rows;
  };
  auto kv_head = [&](int64_t g) {
    return AttnKv{kv_offset(kv, kv.k, g * hs), kv_offset(kv, kv.v, g * hs), kv.type, kv.stride, hs};
  };
  // out rows of (tile, g) = acc · (1/l) of its (first) state.
  auto write_out = [&](int64_t u, const AttnRows& rows) {
    const int64_t g = (u / n_split) % NKV, t0 = tile_of(u) * Tq, t1 = std::min(T, t0 + Tq);
    int r = 0;
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t hh = 0; hh < group; ++hh, ++r) {
        float* o = out + (t * NH + g * group + hh) * HS;
        const float inv = 1.0f / rows.l[r];
        for (int64_t d = 0; d < HS; ++d) o[d] = rows.acc[r * HS + d] * inv;
      }
  };
  const bool threads = T * group * n_kv * NKV >= kMinParallel;
  if (n_split == 1) {
    parallel_for(units, [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        const AttnRows rows = prepare(u);
        const int64_t t1 = std::min(T, tile_of(u) * Tq + Tq);
        block(rows, kv_head(u % NKV), 0, p0 + t1, HS);
        write_out(u, rows);
      }
    }, threads ? 1 : units);
  } else {
    // One work item = one split of one tile over every kv head, stripe by stripe: the threads
    // each stream a contiguous range of whole cache rows (all heads), which the prefetchers
    // follow, instead of one head's strided slice of every row. The last split of a tile to
    // finish folds its rows' block states in order and writes them out (no second pass over
    // the threads; the counter's acquire-release makes the other splits' states visible).
    if (t_done.size() < size_t(n_tiles)) t_done.resize(size_t(n_tiles));
    std::fill_n(t_done.begin(), n_tiles, 0);
    int* done = t_done.data();
    parallel_for(n_tiles * n_split, [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t tile_rev = w / n_split, split = w % n_split;
        const int64_t t1 = std::min(T, (n_tiles - 1 - tile_rev) * Tq + Tq);
        const int64_t j0 = first_block(split) * kAttnBlock;
        const int64_t j1 = std::min(p0 + t1, first_block(split + 1) * kAttnBlock);
        AttnRows rows[kMaxPassHeads];
        for (int64_t g0 = 0; g0 < NKV; g0 += kMaxPassHeads) {
          const int ng = int(std::min<int64_t>(kMaxPassHeads, NKV - g0));
          for (int i = 0; i < ng; ++i) rows[i] = prepare((tile_rev * NKV + g0 + i) * n_split + split);
          if (j0 >= j1) continue;  // a tile that ends before this split's positions
          if (isa == Isa::Scalar) attn_heads_each(block, rows, ng, kv_head(g0), j0, j1, HS);
          else heads(rows, ng, kv_head(g0), j0, j1, HS);
        }
        if (std::atomic_ref<int>(done[tile_rev]).fetch_add(1, std::memory_order_acq_rel) != n_split - 1) continue;
        for (int64_t g = 0; g < NKV; ++g) {
          const int64_t u = (tile_rev * NKV + g) * n_split;
          AttnRows rows = unit_rows(u);
          rows.R = int((t1 - tile_of(u) * Tq) * group);
          for (int r = 0; r < rows.R; ++r)
            merge(rows.m + r, rows.l + r, rows.acc + r * HS, first_block(1), n_blocks, per_slot, HS);
          write_out(u, rows);
        }
      }
    }, threads ? 1 : n_tiles * n_split);
  }

  if (!probs_last) return;
  // The final max and sum of the last token's rows, per head (in its (tile, g)'s first state).
  std::vector<float> Mh(static_cast<size_t>(NH)), Lh(static_cast<size_t>(NH));
  const int64_t last_tile = (T - 1) / Tq, r_last = (T - 1 - last_tile * Tq) * group;
  for (int64_t g = 0; g < NKV; ++g) {
    const AttnRows rows = unit_rows(((n_tiles - 1 - last_tile) * NKV + g) * n_split);
    for (int64_t hh = 0; hh < group; ++hh) Mh[size_t(g * group + hh)] = rows.m[r_last + hh], Lh[size_t(g * group + hh)] = rows.l[r_last + hh];
  }
  // The clock's view: e^(s_j − M)/L, consistent with the output's own normalisation.
  const float* ql = q + (T - 1) * NH * HS;
  for (int64_t h = 0; h < NH; ++h) {
    const int64_t g = h / group;
    float* p = probs_last + h * n_kv;
    for (int64_t j = 0; j < n_kv; ++j) {
      float dot = 0.0f;
      for (int64_t d = 0; d < HS; ++d) dot += ql[h * HS + d] * scale * kv_value(kv, kv.k, j * kv.stride + g * hs + d);
      p[j] = std::exp(dot - Mh[size_t(h)]) / Lh[size_t(h)];
    }
  }
}

void attention_causal(const float* q, int64_t T, int64_t p0, const KvRows& kv, int64_t NH,
                      int64_t NKV, int64_t HS, float scale, float* out, float* probs_last) {
  attention_causal_isa(active_isa(), q, T, p0, kv, NH, NKV, HS, scale, out, probs_last);
}

}  // namespace tock
