#include "core/dtype.hpp"

#include <array>

#include "core/error.hpp"

namespace tock {
namespace {

struct Entry {
  uint32_t id;
  DTypeInfo info;
};

// Block sizes and bytes from ggml's type traits (ggml.c, ggml-common.h).
constexpr std::array kTypes = {
    Entry{0, {"F32", 1, 4}},      Entry{1, {"F16", 1, 2}},      Entry{2, {"Q4_0", 32, 18}},
    Entry{3, {"Q4_1", 32, 20}},   Entry{6, {"Q5_0", 32, 22}},   Entry{7, {"Q5_1", 32, 24}},
    Entry{8, {"Q8_0", 32, 34}},   Entry{9, {"Q8_1", 32, 36}},   Entry{10, {"Q2_K", 256, 84}},
    Entry{11, {"Q3_K", 256, 110}}, Entry{12, {"Q4_K", 256, 144}}, Entry{13, {"Q5_K", 256, 176}},
    Entry{14, {"Q6_K", 256, 210}}, Entry{15, {"Q8_K", 256, 292}}, Entry{24, {"I8", 1, 1}},
    Entry{25, {"I16", 1, 2}},     Entry{26, {"I32", 1, 4}},     Entry{27, {"I64", 1, 8}},
    Entry{28, {"F64", 1, 8}},     Entry{30, {"BF16", 1, 2}},
};

}  // namespace

const DTypeInfo* dtype_info(uint32_t id) {
  for (const auto& e : kTypes)
    if (e.id == id) return &e.info;
  return nullptr;
}

const DTypeInfo& dtype_info(DType t) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(t));
  if (!info) fail("unknown tensor type id ", static_cast<uint32_t>(t));
  return *info;
}

std::string_view dtype_name(DType t) { return dtype_info(t).name; }

size_t row_bytes(DType t, int64_t n) {
  const DTypeInfo& info = dtype_info(t);
  if (n < 0 || n % info.block_size != 0)
    fail("row of ", n, " elements is not a whole number of ", info.name, " blocks of ",
         info.block_size);
  return size_t(n / info.block_size) * info.block_bytes;
}

}  // namespace tock
