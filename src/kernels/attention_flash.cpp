// The attention driver: splits T query tokens × NH heads into work units for the thread pool
// and runs the block kernels (attention_kernels.hpp) on them.
//   unit = (kv head g, tile of query tokens, split of positions). A unit's rows are the tile's
//   tokens × the group of query heads that share g (GQA), so each key/value block is read once
//   for all of them. Prefill: tiles of up to kRowsPerTile rows, one split. Decode (and a few
//   tokens after a deep prefix): too few tiles × kv heads for the threads, so positions are
//   split too, each thread walking its range of whole cache rows for every kv head (block by
//   block, every head in turn: attn_heads_*), and the partial softmax states of every row merged:
//   M = max m_s, L = Σ l_s·e^(m_s−M), out = Σ acc_s·e^(m_s−M) / L.
#include <algorithm>
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
constexpr int64_t kMinSplit = 64;      // positions per decode split, at least
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
  const int64_t group = NH / NKV, n_kv = p0 + T;
  const int64_t hs = kv.head_stride != 0 ? kv.head_stride : HS;  // elements between kv heads
  const int64_t Tq = std::max<int64_t>(1, kRowsPerTile / group);  // tokens per tile
  const int64_t n_tiles = (T + Tq - 1) / Tq;
  const int64_t R_max = std::min(T, Tq) * group;
  int64_t n_split = 1;
  if (n_tiles * NKV < 4 * thread_count())
    n_split = std::clamp<int64_t>(n_kv / kMinSplit, 1, std::max<int64_t>(1, kSplitsPerThread * thread_count() / n_tiles));
  // Split s holds positions [s·n_kv/n_split, (s+1)·n_kv/n_split): equal shares (whole blocks
  // left the last split short, and the thread holding it idle while another finished a full one).
  const int64_t units = NKV * n_tiles * n_split;

  // Per unit: q rows (R_max·HS), acc (R_max·HS), m and l (R_max each); limits apart.
  const int64_t per_unit = R_max * (2 * HS + 2);
  if (t_state.size() < size_t(units * per_unit)) t_state.resize(size_t(units * per_unit));
  if (t_limits.size() < size_t(units * R_max)) t_limits.resize(size_t(units * R_max));
  float* state = t_state.data();
  int64_t* limits = t_limits.data();
  // Unit (tile, g, split) = ((n_tiles−1−tile)·NKV + g)·n_split + split: heaviest tiles first
  // (the last tiles of a causal prefill see the most positions).
  auto tile_of = [&](int64_t u) { return n_tiles - 1 - u / (n_split * NKV); };
  auto unit_rows = [&](int64_t u) {
    float* Q = state + u * per_unit;
    float* acc = Q + R_max * HS;
    float* m = acc + R_max * HS;
    return AttnRows{Q, limits + u * R_max, 0, m, m + R_max, acc};
  };
  // The unit's rows (its tile's tokens × the query heads of kv head g): scaled queries, empty state.
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
    std::fill_n(rows.acc, rows.R * HS, 0.0f);
    std::fill_n(rows.m, rows.R, -std::numeric_limits<float>::infinity());
    std::fill_n(rows.l, rows.R, 0.0f);
    return rows;
  };
  auto kv_head = [&](int64_t g) {
    return AttnKv{kv_offset(kv, kv.k, g * hs), kv_offset(kv, kv.v, g * hs), kv.type, kv.stride, hs};
  };
  const bool threads = T * group * n_kv * NKV >= kMinParallel;
  if (n_split == 1) {
    parallel_for(units, [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        const AttnRows rows = prepare(u);
        const int64_t g = u % NKV, t0 = tile_of(u) * Tq, t1 = std::min(T, t0 + Tq);
        block(rows, kv_head(g), 0, p0 + t1, HS);
        int r = 0;
        for (int64_t t = t0; t < t1; ++t)
          for (int64_t hh = 0; hh < group; ++hh, ++r) {
            float* o = out + (t * NH + g * group + hh) * HS;
            const float inv = 1.0f / rows.l[r];
            for (int64_t d = 0; d < HS; ++d) o[d] = rows.acc[r * HS + d] * inv;
          }
      }
    }, threads ? 1 : units);
  } else {
    // One work item = one split of one tile over every kv head, stripe by stripe: the threads
    // each stream a contiguous range of whole cache rows (all heads), which the prefetchers
    // follow, instead of one head's strided slice of every row.
    parallel_for(n_tiles * n_split, [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t tile_rev = w / n_split, split = w % n_split;
        const int64_t t1 = std::min(T, (n_tiles - 1 - tile_rev) * Tq + Tq);
        const int64_t j0 = split * n_kv / n_split, j1 = std::min(p0 + t1, (split + 1) * n_kv / n_split);
        AttnRows rows[kMaxPassHeads];
        for (int64_t g0 = 0; g0 < NKV; g0 += kMaxPassHeads) {
          const int ng = int(std::min<int64_t>(kMaxPassHeads, NKV - g0));
          for (int i = 0; i < ng; ++i) rows[i] = prepare((tile_rev * NKV + g0 + i) * n_split + split);
          if (isa == Isa::Scalar) attn_heads_each(block, rows, ng, kv_head(g0), j0, j1, HS);
          else heads(rows, ng, kv_head(g0), j0, j1, HS);
        }
      }
    }, threads ? 1 : n_tiles * n_split);
  }

  // The final max and sum of the last token's rows (for probs_last), per head.
  std::vector<float> Mh(size_t(probs_last ? NH : 0)), Lh(size_t(probs_last ? NH : 0));
  for (int64_t u = 0; u < units; u += n_split) {  // split 0 of each (tile, g)
    const int64_t g = (u / n_split) % NKV, t0 = tile_of(u) * Tq, t1 = std::min(T, t0 + Tq);
    int r = 0;
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t hh = 0; hh < group; ++hh, ++r) {
        const int64_t h = g * group + hh;
        float M = -std::numeric_limits<float>::infinity(), L = 0.0f;
        for (int64_t s = 0; s < n_split; ++s) M = std::max(M, unit_rows(u + s).m[r]);
        float* o = out + (t * NH + h) * HS;
        if (n_split > 1) {
          // Merge: M = max m_s, L = Σ l_s·e^(m_s−M), out = Σ acc_s·e^(m_s−M) / L.
          std::fill_n(o, HS, 0.0f);
          for (int64_t s = 0; s < n_split; ++s) {
            const AttnRows rs = unit_rows(u + s);
            if (rs.l[r] == 0.0f) continue;  // a split this row saw nothing of
            const float w = std::exp(rs.m[r] - M);
            L += rs.l[r] * w;
            for (int64_t d = 0; d < HS; ++d) o[d] += rs.acc[r * HS + d] * w;
          }
          for (int64_t d = 0; d < HS; ++d) o[d] /= L;
        } else {
          L = unit_rows(u).l[r];
        }
        if (probs_last && t == T - 1) Mh[size_t(h)] = M, Lh[size_t(h)] = L;
      }
  }
  if (!probs_last) return;
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
