// The attention driver: splits T query tokens × NH heads into work units for the thread pool
// and runs the block kernels (attention_kernels.hpp) on them.
//   unit = (kv head g, tile of query tokens, split of positions). A unit's rows are the tile's
//   tokens × the group of query heads that share g (GQA), so each key/value block is read once
//   for all of them. Prefill: tiles of up to kRowsPerTile rows, one split. Decode (T = 1): one
//   row group per kv head is too few units for the threads, so positions are split too and the
//   partial softmax states merged: M = max m_s, L = Σ l_s·e^(m_s−M), out = Σ acc_s·e^(m_s−M) / L.
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
constexpr int64_t kMinParallel = 2048; // rows × positions below which threads cost more than they save

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
  const int64_t group = NH / NKV, n_kv = p0 + T;
  const int64_t Tq = std::max<int64_t>(1, kRowsPerTile / group);  // tokens per tile
  const int64_t n_tiles = (T + Tq - 1) / Tq;
  const int64_t R_max = std::min(T, Tq) * group;
  int64_t n_split = 1;
  if (n_tiles * NKV < 4 * thread_count())
    n_split = std::clamp<int64_t>(n_kv / kMinSplit, 1, (8 * thread_count() + NKV - 1) / NKV);
  // Positions per split, a whole number of kernel blocks.
  const int64_t span = ((n_kv + n_split - 1) / n_split + kAttnBlock - 1) / kAttnBlock * kAttnBlock;
  const int64_t units = NKV * n_tiles * n_split;

  // Per unit: q rows (R_max·HS), acc (R_max·HS), m and l (R_max each); limits apart.
  const int64_t per_unit = R_max * (2 * HS + 2);
  if (t_state.size() < size_t(units * per_unit)) t_state.resize(size_t(units * per_unit));
  if (t_limits.size() < size_t(units * R_max)) t_limits.resize(size_t(units * R_max));
  float* state = t_state.data();
  int64_t* limits = t_limits.data();

  auto run_unit = [&](int64_t u) {
    // Heaviest first: the last tiles of a causal prefill see the most positions.
    const int64_t split = u % n_split, g = (u / n_split) % NKV;
    const int64_t tile = n_tiles - 1 - u / (n_split * NKV);
    const int64_t t0 = tile * Tq, t1 = std::min(T, t0 + Tq);
    float* Q = state + u * per_unit;
    float* acc = Q + R_max * HS;
    float* m = acc + R_max * HS;
    float* l = m + R_max;
    int64_t* lim = limits + u * R_max;
    int R = 0;
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t hh = 0; hh < group; ++hh, ++R) {
        const float* qh = q + (t * NH + g * group + hh) * HS;
        for (int64_t d = 0; d < HS; ++d) Q[R * HS + d] = qh[d] * scale;
        lim[R] = p0 + t + 1;
      }
    std::fill_n(acc, R * HS, 0.0f);
    std::fill_n(m, R, -std::numeric_limits<float>::infinity());
    std::fill_n(l, R, 0.0f);
    const int64_t j0 = split * span, j1 = std::min(p0 + t1, j0 + span);
    const AttnKv kvg{kv_offset(kv, kv.k, g * HS), kv_offset(kv, kv.v, g * HS), kv.type, kv.stride};
    if (j0 < j1) block(AttnRows{Q, lim, R, m, l, acc}, kvg, j0, j1, HS);
    if (n_split > 1) return;  // merged below
    R = 0;
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t hh = 0; hh < group; ++hh, ++R) {
        float* o = out + (t * NH + g * group + hh) * HS;
        const float inv = 1.0f / l[R];
        for (int64_t d = 0; d < HS; ++d) o[d] = acc[R * HS + d] * inv;
      }
  };
  const bool threads = T * group * n_kv * NKV >= kMinParallel;
  parallel_for(units, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) run_unit(u);
  }, threads ? 1 : units);

  // The final max and sum of the last token's rows (for probs_last), per head.
  std::vector<float> Mh(size_t(probs_last ? NH : 0)), Lh(size_t(probs_last ? NH : 0));
  if (n_split > 1) {  // T = 1: one tile, R = group rows per unit
    for (int64_t g = 0; g < NKV; ++g)
      for (int64_t hh = 0; hh < group; ++hh) {
        const int64_t h = g * group + hh;
        float M = -std::numeric_limits<float>::infinity();
        for (int64_t s = 0; s < n_split; ++s) {
          const float* ms = state + (g * n_split + s) * per_unit + 2 * R_max * HS;
          M = std::max(M, ms[hh]);
        }
        float L = 0.0f;
        float* o = out + h * HS;
        std::fill_n(o, HS, 0.0f);
        for (int64_t s = 0; s < n_split; ++s) {
          const float* acc = state + (g * n_split + s) * per_unit + R_max * HS;
          const float* ms = acc + R_max * HS;
          const float* ls = ms + R_max;
          if (ls[hh] == 0.0f) continue;  // a split this row saw nothing of
          const float w = std::exp(ms[hh] - M);
          L += ls[hh] * w;
          for (int64_t d = 0; d < HS; ++d) o[d] += acc[hh * HS + d] * w;
        }
        for (int64_t d = 0; d < HS; ++d) o[d] /= L;
        if (probs_last) Mh[size_t(h)] = M, Lh[size_t(h)] = L;
      }
  } else if (probs_last) {
    const int64_t tile = (T - 1) / Tq, r0 = (T - 1 - tile * Tq) * group;
    for (int64_t g = 0; g < NKV; ++g) {
      const int64_t u = (n_tiles - 1 - tile) * NKV + g;
      const float* ms = state + u * per_unit + 2 * R_max * HS;
      for (int64_t hh = 0; hh < group; ++hh) {
        Mh[size_t(g * group + hh)] = ms[r0 + hh];
        Lh[size_t(g * group + hh)] = ms[R_max + r0 + hh];
      }
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
      for (int64_t d = 0; d < HS; ++d) dot += ql[h * HS + d] * scale * kv_value(kv, kv.k, j * kv.stride + g * HS + d);
      p[j] = std::exp(dot - Mh[size_t(h)]) / Lh[size_t(h)];
    }
  }
}

void attention_causal(const float* q, int64_t T, int64_t p0, const KvRows& kv, int64_t NH,
                      int64_t NKV, int64_t HS, float scale, float* out, float* probs_last) {
  attention_causal_isa(active_isa(), q, T, p0, kv, NH, NKV, HS, scale, out, probs_last);
}

}  // namespace tock
