// The scalar online-softmax block kernel: the plain reference the SIMD kernels are tested
// against (and the fallback for head sizes that are not a multiple of the vector width).
#include <cmath>
#include <cstring>
#include <vector>

#include "core/float16.hpp"
#include "kernels/attention_kernels.hpp"

namespace tock {
namespace {

inline float kv_at(const AttnKv& kv, const void* base, int64_t j, int64_t d) {
  const int64_t i = j * kv.stride + d;
  if (kv.type == DType::F16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return static_cast<const float*>(base)[i];
}

void block_scalar(const AttnRows& rows, const AttnKv& kv, int64_t j0, int64_t j1, int64_t HS) {
  float s[kAttnBlock];
  for (int64_t b0 = j0; b0 < j1; b0 += kAttnBlock) {
    const int64_t b1 = b0 + kAttnBlock < j1 ? b0 + kAttnBlock : j1;
    for (int r = 0; r < rows.R; ++r) {
      const int64_t e = b1 < rows.limit[r] ? b1 : rows.limit[r];
      if (e <= b0) continue;
      const float* q = rows.q + r * HS;
      float mx = rows.m[r];
      for (int64_t j = b0; j < e; ++j) {
        float dot = 0.0f;
        for (int64_t d = 0; d < HS; ++d) dot += q[d] * kv_at(kv, kv.k, j, d);
        s[j - b0] = dot;
        mx = dot > mx ? dot : mx;
      }
      // Rescale what was summed under the old max; e^(−inf) = 0 on the first block.
      const float corr = std::exp(rows.m[r] - mx);
      float* acc = rows.acc + r * HS;
      float l = rows.l[r] * corr;
      for (int64_t d = 0; d < HS; ++d) acc[d] *= corr;
      for (int64_t j = b0; j < e; ++j) {
        const float p = std::exp(s[j - b0] - mx);
        l += p;
        for (int64_t d = 0; d < HS; ++d) acc[d] += p * kv_at(kv, kv.v, j, d);
      }
      rows.m[r] = mx;
      rows.l[r] = l;
    }
  }
}

}  // namespace

AttnBlockFn attn_block_scalar() { return block_scalar; }

void attn_heads_each(AttnBlockFn block, const AttnRows* rows, int ng, const AttnKv& kv, int64_t j0,
                     int64_t j1, int64_t HS) {
  for (int g = 0; g < ng; ++g) {
    if (rows[g].slot_stride == 0) {
      block(rows[g], attn_kv_head(kv, g), j0, j1, HS);
      continue;
    }
    AttnRows slot = rows[g];
    slot.slot_stride = 0;
    for (int64_t b0 = j0; b0 < j1; b0 += kAttnBlock) {
      std::memset(slot.acc, 0, size_t(slot.R * HS) * sizeof(float));  // the scalar kernel reads it
      block(slot, attn_kv_head(kv, g), b0, b0 + kAttnBlock < j1 ? b0 + kAttnBlock : j1, HS);
      slot.m += rows[g].slot_stride, slot.l += rows[g].slot_stride, slot.acc += rows[g].slot_stride;
    }
  }
}

AttnMergeFn attn_merge_scalar() {
  return [](float* m, float* l, float* acc, int64_t k0, int64_t n, int64_t stride, int64_t HS) {
    for (int64_t k = k0; k < n; ++k) {
      const float mk = m[k * stride];
      if (mk == -INFINITY) continue;
      const AttnFold f = attn_fold(*m, mk);
      *l = attn_fold_sum(*l, l[k * stride], f);
      *m = f.m;
      const float* a = acc + k * stride;
      for (int64_t d = 0; d < HS; ++d) acc[d] = std::fma(a[d], f.c_new, acc[d] * f.c_old);
    }
  };
}

}  // namespace tock
