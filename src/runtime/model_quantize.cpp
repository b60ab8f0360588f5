// `tock quantize` behind the CLI: type choice per tensor, conversion row by row on the thread
// pool, GGUF written atomically. See model_quantize.hpp.
#include "runtime/model_quantize.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "kernels/dequant.hpp"
#include "kernels/quantize.hpp"

namespace tock {
namespace {

constexpr DType kTargets[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1};

bool is_block_type(DType t) { return dtype_info(t).block_size > 1; }

// llama.cpp's LLAMA_FTYPE values, so other tools report the file's type correctly.
uint32_t llama_file_type(DType t) {
  switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q8_0: return 7;
    case DType::BF16: return 32;
    default: fail("quantize: no file type for ", dtype_name(t));
  }
}

// What a tensor becomes; `src` when it is copied unchanged.
DType choose_type(const GgufTensorInfo& t, const QuantizeOptions& o, bool* fallback) {
  *fallback = false;
  if (t.n_dims < 2) return t.type;  // norms and biases stay as converted (F32)
  if (o.keep_output && (t.name == "output.weight" || t.name == "token_embd.weight")) return t.type;
  if (is_block_type(o.type) && t.ne[0] % dtype_info(o.type).block_size != 0) {
    *fallback = true;  // as llama.cpp's fallback for rows that are no whole number of blocks
    return DType::F16;
  }
  return o.type;
}

}  // namespace

DType parse_quantize_type(const std::string& name) {
  std::string up = name;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  for (DType t : kTargets)
    if (dtype_name(t) == up) return t;
  fail("quantize: unknown type '", name, "' (choose one of F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
}

QuantizeSummary quantize_model_file(const std::string& in, const std::string& out, const QuantizeOptions& o) {
  if (!can_quantize(o.type)) fail("quantize: cannot produce type ", dtype_name(o.type));
  const GgufFile src = GgufFile::open(in);
  GgufWriter w;
  for (const auto& [key, value] : src.metadata()) w.set(key, value);
  w.set("general.file_type", GgufValue::of_u32(llama_file_type(o.type)));
  if (is_block_type(o.type)) w.set("general.quantization_version", GgufValue::of_u32(2));

  QuantizeSummary sum;
  std::deque<std::vector<uint8_t>> buffers;  // converted data; deque: stable addresses
  for (const GgufTensorInfo& t : src.tensors()) {
    bool fallback = false;
    const DType dst = choose_type(t, o, &fallback);
    const std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    const TensorView view = src.view(t);
    sum.tensors++;
    sum.fallback += fallback;
    sum.in_bytes += t.nbytes;
    if (dst == t.type) {
      w.add_tensor_view(t.name, t.type, ne, view.data, t.nbytes);
      sum.out_bytes += t.nbytes;
      continue;
    }
    if (!can_dequantize(t.type))
      fail("quantize: ", in, ": tensor '", t.name, "' has type ", dtype_name(t.type),
           ", which Tock cannot read to convert");
    const int64_t K = t.ne[0];
    const int64_t rows = t.ne[1] * t.ne[2] * t.ne[3];
    const size_t in_row = row_bytes(t.type, K), out_row = row_bytes(dst, K);
    auto& buf = buffers.emplace_back(out_row * size_t(rows));
    const auto* x = static_cast<const uint8_t*>(view.data);
    parallel_for(rows, [&](int64_t r0, int64_t r1) {
      std::vector<float> f(static_cast<size_t>(K));
      for (int64_t r = r0; r < r1; ++r) {
        dequantize_row(t.type, x + size_t(r) * in_row, f.data(), K);
        quantize_row(dst, f.data(), buf.data() + size_t(r) * out_row, K);
      }
    }, 16);
    w.add_tensor_view(t.name, dst, ne, buf.data(), buf.size());
    sum.converted += !fallback;
    sum.out_bytes += buf.size();
  }
  w.write(out);
  return sum;
}

}  // namespace tock
