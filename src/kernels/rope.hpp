// Rotary position embedding (Su et al. 2021, RoFormer) applied in place to query/key heads.
#pragma once
#include <cstdint>

namespace tock {

// Which dimensions form a rotated pair. GGUF `llama` files store Q/K rows permuted so that
// adjacent dims (2i, 2i+1) pair up; Hugging Face / GPT-NeoX / Qwen2 pair (i, i + n_rot/2).
enum class RopeStyle { adjacent, neox };

// x: (T, NH, HS) rows of T tokens; pos: (T) positions. Rotates the first n_rot dims of every head:
// pair i turns by angle pos · base^(-2i/n_rot).
void rope(float* x, const int32_t* pos, int64_t T, int64_t NH, int64_t HS, int64_t n_rot,
          float base, RopeStyle style);

}  // namespace tock
