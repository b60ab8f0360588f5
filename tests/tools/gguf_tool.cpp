// Test helper for the GGUF reference checks (tests/python/test_gguf_*.py). Subcommands:
//   gguf_tool dequant FILE      every tensor, in file order, dequantized to raw f32 on stdout
//   gguf_tool meta FILE         one JSON line per metadata key: {"key","type","elem","value"};
//                               strings are hex of their bytes, floats as %.17g
//   gguf_tool tensors FILE      one JSON line per tensor: name, type id, shape, absolute offset, bytes
//   gguf_tool copy IN OUT       read IN with GgufFile, write it again with GgufWriter
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "kernels/dequant.hpp"

namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string json_value(const tock::GgufValue& v) {
  using tock::GgufType;
  char buf[64];
  switch (v.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64: case GgufType::BOOL:
      return std::to_string(v.u);
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return std::to_string(v.i);
    case GgufType::F32: case GgufType::F64:
      std::snprintf(buf, sizeof buf, "%.17g", v.f);
      if (std::strchr(buf, 'n')) return std::string("\"").append(buf).append("\"");  // nan, inf
      return buf;
    case GgufType::STRING:
      return std::string("\"").append(hex(v.str)).append("\"");
    case GgufType::ARRAY: {
      std::string s = "[";
      for (size_t k = 0; k < v.array_size(); ++k) {
        if (k) s += ',';
        s += json_value(v.element(k));
      }
      return s + "]";
    }
  }
  return "null";
}

int dequant(const std::string& path) {
  const tock::GgufFile f = tock::GgufFile::open(path);
  std::vector<float> buf;
  for (const auto& info : f.tensors()) {
    const std::vector<float> y = tock::dequantize(f.view(info));
    if (!y.empty() && std::fwrite(y.data(), sizeof(float), y.size(), stdout) != y.size()) return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int meta(const std::string& path) {
  const tock::GgufFile f = tock::GgufFile::open(path);
  for (const auto& [key, v] : f.metadata())
    std::printf("{\"key\":\"%s\",\"type\":\"%s\",\"elem\":\"%s\",\"value\":%s}\n", hex(key).c_str(),
                std::string(tock::gguf_type_name(v.type)).c_str(),
                v.type == tock::GgufType::ARRAY ? std::string(tock::gguf_type_name(v.elem_type)).c_str() : "",
                json_value(v).c_str());
  return 0;
}

int tensors(const std::string& path) {
  const tock::GgufFile f = tock::GgufFile::open(path);
  std::printf("{\"version\":%u,\"alignment\":%llu,\"data_offset\":%llu}\n", f.version(),
              static_cast<unsigned long long>(f.alignment()), static_cast<unsigned long long>(f.data_offset()));
  for (const auto& t : f.tensors()) {
    std::string shape;
    for (int d = 0; d < t.n_dims; ++d) {
      if (d) shape += ',';
      shape += std::to_string(t.ne[d]);
    }
    std::printf("{\"name\":\"%s\",\"type\":%u,\"shape\":[%s],\"offset\":%llu,\"bytes\":%zu}\n",
                hex(t.name).c_str(), static_cast<unsigned>(t.type), shape.c_str(),
                static_cast<unsigned long long>(f.data_offset() + t.offset), t.nbytes);
  }
  return 0;
}

int copy(const std::string& in, const std::string& out) {
  const tock::GgufFile f = tock::GgufFile::open(in);
  tock::GgufWriter w;
  for (const auto& [key, v] : f.metadata()) w.set(key, v);
  for (const auto& t : f.tensors()) {
    const tock::TensorView v = f.view(t);
    w.add_tensor_view(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims), v.data,
                      v.nbytes);
  }
  w.write(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 2 && a[0] == "dequant") return dequant(a[1]);
    if (a.size() == 2 && a[0] == "meta") return meta(a[1]);
    if (a.size() == 2 && a[0] == "tensors") return tensors(a[1]);
    if (a.size() == 3 && a[0] == "copy") return copy(a[1], a[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gguf_tool: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: gguf_tool dequant|meta|tensors FILE | copy IN OUT\n");
  return 2;
}
