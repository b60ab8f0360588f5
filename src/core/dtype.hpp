// Element types of tensors: ggml's type ids (as stored in GGUF) and their block layouts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tock {

// Values are ggml's type ids; they are written to and read from GGUF files as-is.
enum class DType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
};

struct DTypeInfo {
  std::string_view name;  // ggml's spelling, e.g. "Q4_K"
  int64_t block_size;     // elements per block (1 for plain types)
  size_t block_bytes;     // bytes per block
};

// Layout of a known type id, or nullptr if the id is unknown to Tock.
const DTypeInfo* dtype_info(uint32_t id);
const DTypeInfo& dtype_info(DType t);  // throws Error for an unknown type
std::string_view dtype_name(DType t);  // "type#N" spelled out for unknown ids is not needed here
// Bytes needed for n elements of type t; throws Error if n is not a whole number of blocks.
size_t row_bytes(DType t, int64_t n);

}  // namespace tock
