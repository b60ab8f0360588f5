// The prefill GEMM on AMX int8 tiles (Sapphire Rapids and later), for quantized weights.
// Same integers as every other path: each 16-bit activation code q (quantize_activations.hpp)
// is split into q = 256·hi + lo with hi signed and lo unsigned bytes, so that per 32-block
//   Σ w·q = 256·Σ w·hi + Σ w·lo,
// the two sums being one TDPBSSD (s8·s8) and one TDPBUSD (u8·s8) over the same weight tile.
// Nothing is lost to 8-bit activations (see quantize_activations.hpp for why that matters).
// Tiles: C_lo, C_hi = 16 tokens × 16 weight rows (i32); A_lo, A_hi = 16 tokens × 32 bytes
// (one 32-block); B = one block of a 16-row weight panel in VNNI order (gemm_panel.hpp,
// Quads8): 8 rows of 16 × 4 bytes. After each block the i32 tiles go through memory to
// AVX-512, which applies the per-block scales in f32 like the scalar kernels.
// Tile instructions are written as inline asm here, not with <immintrin.h>'s AMX intrinsics:
// g++ 12's _tile_loadconfig tells the optimiser it reads 8 bytes of the 64-byte configuration
// and lets it drop the stores of the tile shapes (the first tile load then raises SIGILL);
// `ldtilecfg %0` with the whole struct as a memory operand cannot lose them. The loads and
// stores carry a "memory" clobber so the compiler orders them with the C++ writes and reads
// of the same buffers. Each thread loads the configuration at the start of its share of the
// work and releases the tiles at the end.
// g++ 12 warns inside its own AVX-512 headers (self-initialised _mm512_undefined_*; GCC PR
// 105593): silence just those two warnings in this file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "kernels/gemm_kernels.hpp"
#include "kernels/gemm_panel.hpp"

#if defined(__x86_64__)
#define TOCK_AMX_ASM 1
#endif

namespace tock {

#ifdef TOCK_AMX_ASM
namespace {

constexpr int R = 16;   // weight rows per panel = C tile columns
constexpr int TT = 16;  // tokens per tile = A and C tile rows

// The 64-byte tile configuration (Intel SDM, LDTILECFG): palette 1.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

// tmm0 C_lo, tmm1 C_hi, tmm2 A_lo, tmm3 A_hi, tmm4 B.
void configure_tiles() {
  TileConfig cfg;
  cfg.rows[0] = cfg.rows[1] = TT;
  cfg.colsb[0] = cfg.colsb[1] = R * 4;
  cfg.rows[2] = cfg.rows[3] = TT;
  cfg.colsb[2] = cfg.colsb[3] = 32;
  cfg.rows[4] = 8;
  cfg.colsb[4] = R * 4;
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
}

void release_tiles() { __asm__ volatile("tilerelease" ::: "memory"); }

#define TOCK_TILE_LOAD(t, base, stride) \
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t ::"r"(base), "r"(int64_t(stride)) : "memory")
#define TOCK_TILE_STORE(t, base, stride) \
  __asm__ volatile("tilestored %%tmm" #t ", (%0,%1,1)" ::"r"(base), "r"(int64_t(stride)) : "memory")
#define TOCK_TILE_ZERO(t) __asm__ volatile("tilezero %%tmm" #t ::)
// c += a·b: AT&T order is b, a, c.
#define TOCK_TDPBSSD(c, a, b) __asm__ volatile("tdpbssd %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)
#define TOCK_TDPBUSD(c, a, b) __asm__ volatile("tdpbusd %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)

// Activations split for the tiles, per token t (padded to whole tiles with zeros) and block b:
// 64 bytes [lo 32 | hi 32] at bytes[(t·nb + b)·64]; xd = block scale, xs = d·Σq.
struct SplitActivations {
  std::vector<uint8_t> bytes;
  std::vector<float> xd, xs;
};
thread_local SplitActivations t_split;

void split_activations(const BlockQ16_32* act, int64_t T, int64_t T_pad, int64_t nb, SplitActivations& s) {
  const size_t n = size_t(T_pad) * size_t(nb);
  if (s.bytes.size() < n * 64) s.bytes.resize(n * 64);
  if (s.xd.size() < n) {
    s.xd.resize(n);
    s.xs.resize(n);
  }
  for (int64_t i = 0; i < T * nb; ++i) {
    const BlockQ16_32& blk = act[i];
    uint8_t* o = s.bytes.data() + size_t(i) * 64;
    for (int k = 0; k < 32; ++k) {
      o[k] = uint8_t(blk.qs[k] & 0xFF);          // lo: 0..255
      o[32 + k] = uint8_t(int8_t(blk.qs[k] >> 8));  // hi: −128..127 (arithmetic shift)
    }
    s.xd[size_t(i)] = blk.d;
    s.xs[size_t(i)] = blk.d * float(blk.isum);
  }
  std::memset(s.bytes.data() + size_t(T * nb) * 64, 0, size_t((T_pad - T) * nb) * 64);
  std::fill(s.xd.begin() + T * nb, s.xd.begin() + int64_t(n), 0.0f);
  std::fill(s.xs.begin() + T * nb, s.xs.begin() + int64_t(n), 0.0f);
}

struct PanelBuffers {
  std::vector<int8_t> codes;
  std::vector<float> d, m;
};
thread_local PanelBuffers t_panel;

__attribute__((target("avx512f,avx512bw,avx512vl")))
void panel_tokens(int64_t nb, const int8_t* codes, const float* d, const float* m, bool has_min,
                  const uint8_t* a, const float* xd, const float* xs, float* y, int64_t ldy,
                  int tokens, int rows) {
  alignas(64) int32_t clo[TT][R], chi[TT][R];
  __m512 acc[TT];
  for (int t = 0; t < TT; ++t) acc[t] = _mm512_setzero_ps();
  const int64_t a_stride = nb * 64;
  for (int64_t b = 0; b < nb; ++b) {
    TOCK_TILE_ZERO(0);
    TOCK_TILE_ZERO(1);
    TOCK_TILE_LOAD(2, a + b * 64, a_stride);
    TOCK_TILE_LOAD(3, a + b * 64 + 32, a_stride);
    TOCK_TILE_LOAD(4, codes + b * 32 * R, R * 4);
    TOCK_TDPBUSD(0, 2, 4);
    TOCK_TDPBSSD(1, 3, 4);
    TOCK_TILE_STORE(0, &clo[0][0], R * 4);
    TOCK_TILE_STORE(1, &chi[0][0], R * 4);
    const __m512 dv = _mm512_loadu_ps(d + b * R);
    const __m512 mv = _mm512_loadu_ps(m + b * R);
    for (int t = 0; t < TT; ++t) {
      const __m512i s = _mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(chi[t]), 8), _mm512_load_si512(clo[t]));
      const float dt = xd[t * nb + b];
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dv, _mm512_set1_ps(dt)), _mm512_cvtepi32_ps(s), acc[t]);
      if (has_min) acc[t] = _mm512_fmadd_ps(mv, _mm512_set1_ps(xs[t * nb + b]), acc[t]);
    }
  }
  const __mmask16 mask = __mmask16((1u << rows) - 1);
  for (int t = 0; t < tokens; ++t) _mm512_mask_storeu_ps(y + t * ldy, mask, acc[t]);
}

}  // namespace

bool gemm_amx(const TensorView& W, const float* x, float* y, int64_t T) {
  if (!amx_active() || !gemm_q_type(W.type)) return false;
  const int64_t K = W.ne[0], N = W.ne[1], nb = K / 32;
  const int64_t T_pad = (T + TT - 1) / TT * TT;
  const BlockQ16_32* act = quantize_rows_q16_32(x, T, K);
  SplitActivations& split = t_split;
  split_activations(act, T, T_pad, nb, split);
  const bool has_min = W.type == DType::Q4_1 || W.type == DType::Q5_1 || W.type == DType::Q4_K || W.type == DType::Q5_K;
  const size_t row_bytes = W.row_bytes();
  const auto* w = static_cast<const uint8_t*>(W.data);
  const uint8_t* a = split.bytes.data();
  const float* xd = split.xd.data();
  const float* xs = split.xs.data();

  parallel_for((N + R - 1) / R, [&](int64_t p0, int64_t p1) {
    PanelBuffers& buf = t_panel;
    if (buf.codes.size() < size_t(nb) * 32 * R) buf.codes.resize(size_t(nb) * 32 * R);
    if (buf.d.size() < size_t(nb) * R) {
      buf.d.resize(size_t(nb) * R);
      buf.m.resize(size_t(nb) * R);
    }
    configure_tiles();
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * R;
      const int rows = int(N - n0 < R ? N - n0 : R);
      pack_q_panel(W.type, w + size_t(n0) * row_bytes, row_bytes, rows, R, K, CodeLayout::Quads8,
                   buf.codes.data(), buf.d.data(), buf.m.data());
      for (int64_t t0 = 0; t0 < T; t0 += TT) {
        const int tokens = int(T - t0 < TT ? T - t0 : TT);
        panel_tokens(nb, buf.codes.data(), buf.d.data(), buf.m.data(), has_min, a + size_t(t0 * nb) * 64,
                     xd + t0 * nb, xs + t0 * nb, y + t0 * N + n0, N, tokens, rows);
      }
    }
    release_tiles();
  });
  return true;
}

#else

bool gemm_amx(const TensorView&, const float*, float*, int64_t) { return false; }

#endif

}  // namespace tock
