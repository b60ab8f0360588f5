// GGUF writer: header, metadata, tensor infos, then tensor data in info order, each tensor
// starting at an aligned offset that is the running sum of the padded sizes before it (the
// layout llama.cpp's reader insists on). write() is atomic: temp file, fsync, rename.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

constexpr size_t kMaxTensorName = 63;  // ggml's GGML_MAX_NAME (64) less the terminator

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

struct VectorSink {
  std::vector<uint8_t>& out;
  void put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
};

struct FileSink {
  std::FILE* f;
  const std::string& path;
  void put(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f) != n) fail("gguf: ", path, ": write failed: ", std::strerror(errno));
  }
};

template <typename Sink, typename T>
void put(Sink& s, T x) {
  s.put(&x, sizeof(T));
}

template <typename Sink>
void put_string(Sink& s, const std::string& str) {
  put<Sink, uint64_t>(s, str.size());
  s.put(str.data(), str.size());
}

template <typename Sink>
void put_zeros(Sink& s, uint64_t n) {
  static const uint8_t zeros[256] = {};
  while (n) {
    const size_t k = n < sizeof(zeros) ? size_t(n) : sizeof(zeros);
    s.put(zeros, k);
    n -= k;
  }
}

// Writes a value's payload (not its type tag).
template <typename Sink>
void put_value(Sink& s, const GgufValue& v, const std::string& key) {
  switch (v.type) {
    case GgufType::U8: put<Sink, uint8_t>(s, uint8_t(v.u)); break;
    case GgufType::I8: put<Sink, int8_t>(s, int8_t(v.i)); break;
    case GgufType::U16: put<Sink, uint16_t>(s, uint16_t(v.u)); break;
    case GgufType::I16: put<Sink, int16_t>(s, int16_t(v.i)); break;
    case GgufType::U32: put<Sink, uint32_t>(s, uint32_t(v.u)); break;
    case GgufType::I32: put<Sink, int32_t>(s, int32_t(v.i)); break;
    case GgufType::U64: put<Sink, uint64_t>(s, v.u); break;
    case GgufType::I64: put<Sink, int64_t>(s, v.i); break;
    case GgufType::F32: put<Sink, float>(s, float(v.f)); break;
    case GgufType::F64: put<Sink, double>(s, v.f); break;
    case GgufType::BOOL: put<Sink, uint8_t>(s, v.u ? 1 : 0); break;
    case GgufType::STRING: put_string(s, v.str); break;
    case GgufType::ARRAY: {
      put<Sink, uint32_t>(s, uint32_t(v.elem_type));
      put<Sink, uint64_t>(s, v.array_size());
      if (v.elem_type == GgufType::STRING) {
        for (const auto& str : v.strs) put_string(s, str);
      } else if (v.elem_type == GgufType::ARRAY) {
        for (const auto& item : v.items) {
          if (item.type != GgufType::ARRAY) fail("gguf: metadata '", key, "': array of arrays holds a ", gguf_type_name(item.type));
          put_value(s, item, key);
        }
      } else {
        const size_t esize = gguf_scalar_size(v.elem_type);
        if (esize == 0 || v.raw.size() % esize != 0)
          fail("gguf: metadata '", key, "': ", v.raw.size(), " bytes are not a whole number of ",
               gguf_type_name(v.elem_type));
        s.put(v.raw.data(), v.raw.size());
      }
      break;
    }
  }
}

}  // namespace

void GgufWriter::set(std::string key, GgufValue value) {
  for (auto& kv : kv_)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::check_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                              size_t nbytes) const {
  if (name.size() > kMaxTensorName)
    fail("gguf: tensor name '", name, "' is ", name.size(), " bytes; the limit is ", kMaxTensorName);
  for (const auto& t : tensors_)
    if (t.name == name) fail("gguf: tensor '", name, "' added twice");
  if (ne.empty() || ne.size() > 4)
    fail("gguf: tensor '", name, "' has ", ne.size(), " dimensions (1 to 4 allowed)");
  int64_t rows = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] < 0) fail("gguf: tensor '", name, "' dimension ", d, " is negative (", ne[d], ")");
    if (d > 0) rows *= ne[d];
  }
  const size_t want = row_bytes(type, ne[0]) * size_t(rows);
  if (nbytes != want)
    fail("gguf: tensor '", name, "' (", dtype_name(type), ") is given ", nbytes, " bytes; its shape needs ", want);
}

void GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne, const void* data,
                            size_t nbytes) {
  check_tensor(name, type, ne, nbytes);
  Tensor t{std::move(name), type, std::move(ne), {}, nullptr, nbytes};
  const auto* b = static_cast<const uint8_t*>(data);
  if (nbytes) t.owned.assign(b, b + nbytes);
  tensors_.push_back(std::move(t));
}

void GgufWriter::add_tensor_view(std::string name, DType type, std::vector<int64_t> ne,
                                 const void* data, size_t nbytes) {
  check_tensor(name, type, ne, nbytes);
  tensors_.push_back(Tensor{std::move(name), type, std::move(ne), {}, static_cast<const uint8_t*>(data), nbytes});
}

uint64_t GgufWriter::alignment() const {
  for (const auto& kv : kv_)
    if (kv.first == "general.alignment") {
      if (kv.second.type != GgufType::U32)
        fail("gguf: general.alignment must be u32, not ", gguf_type_name(kv.second.type));
      const uint64_t a = kv.second.u;
      if (a == 0 || (a & (a - 1)) != 0) fail("gguf: general.alignment = ", a, " is not a power of two");
      return a;
    }
  return 32;
}

template <typename Sink>
void GgufWriter::emit(Sink& s) const {
  const uint64_t align = alignment();
  uint64_t pos = 0;
  auto counted = [&](auto&& f) {  // tracks the header size so the data section can be aligned
    struct Counter {
      Sink& s;
      uint64_t& pos;
      void put(const void* p, size_t n) { s.put(p, n); pos += n; }
    } c{s, pos};
    f(c);
  };
  counted([&](auto& c) {
    c.put("GGUF", 4);
    put<decltype(c), uint32_t>(c, 3);
    put<decltype(c), uint64_t>(c, tensors_.size());
    put<decltype(c), uint64_t>(c, kv_.size());
    for (const auto& [key, value] : kv_) {
      put_string(c, key);
      put<decltype(c), uint32_t>(c, uint32_t(value.type));
      put_value(c, value, key);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      put_string(c, t.name);
      put<decltype(c), uint32_t>(c, uint32_t(t.ne.size()));
      for (int64_t ne : t.ne) put<decltype(c), int64_t>(c, ne);
      put<decltype(c), uint32_t>(c, uint32_t(t.type));
      put<decltype(c), uint64_t>(c, offset);
      offset += align_up(t.nbytes, align);
    }
  });
  put_zeros(s, align_up(pos, align) - pos);
  for (const auto& t : tensors_) {
    s.put(t.owned.empty() ? t.data : t.owned.data(), t.nbytes);
    put_zeros(s, align_up(t.nbytes, align) - t.nbytes);
  }
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
  std::vector<uint8_t> out;
  VectorSink sink{out};
  emit(sink);
  return out;
}

void GgufWriter::write(const std::string& path) const {
  const std::string tmp = cat(path, ".tmp.", ::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail("gguf: ", path, ": cannot create '", tmp, "': ", std::strerror(errno));
  try {
    FileSink sink{f, path};
    emit(sink);
    if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)
      fail("gguf: ", path, ": cannot flush: ", std::strerror(errno));
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    fail("gguf: ", path, ": cannot close: ", std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail("gguf: ", path, ": cannot rename '", tmp, "' into place: ", std::strerror(err));
  }
}

}  // namespace tock
