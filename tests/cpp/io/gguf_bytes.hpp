// Hand assembly of GGUF bytes for the io tests, written from the format description
// (shared/field-notes.md), independent of GgufWriter, so tests can build exact and broken files.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tock::testing {

struct Bytes {
  std::vector<uint8_t> b;

  template <typename T>
  Bytes& put(T x) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &x, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  Bytes& u8(uint8_t x) { return put(x); }
  Bytes& u32(uint32_t x) { return put(x); }
  Bytes& u64(uint64_t x) { return put(x); }
  Bytes& i64(int64_t x) { return put(x); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  Bytes& pad_to(size_t align) {
    while (b.size() % align) b.push_back(0);
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  Bytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    raw("GGUF", 4);
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  // A tensor info: name, n_dims, dims, type, offset.
  Bytes& tensor_info(const std::string& name, std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(uint32_t(ne.size()));
    for (int64_t d : ne) i64(d);
    return u32(type).u64(offset);
  }
};

}  // namespace tock::testing
