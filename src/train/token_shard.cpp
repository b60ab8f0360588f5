// Token shard files (see token_shard.hpp).
#include "train/token_shard.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "train/atomic_file.hpp"

namespace tock {

namespace {

template <typename T>
void put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);  // the machines we run on are little-endian, as the format
}
template <typename T>
T get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

uint32_t shard_dtype_for_vocab(int64_t vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

void write_token_shard(const std::string& path, std::span<const int32_t> tokens, uint32_t dtype) {
  if (dtype != 2 && dtype != 4) fail("token shard '", path, "': dtype ", dtype, " is not 2 or 4 bytes");
  uint8_t header[kShardHeaderBytes];
  std::memcpy(header, kShardMagic, 8);
  put<uint32_t>(header + 8, kShardVersion);
  put<uint32_t>(header + 12, dtype);
  put<uint64_t>(header + 16, tokens.size());
  AtomicFile f(path);
  f.write(header, sizeof header);
  // Convert in blocks so that a 100M-token shard does not need a second full copy.
  std::vector<uint8_t> buf;
  const size_t block = 1 << 16;
  for (size_t i = 0; i < tokens.size(); i += block) {
    const size_t n = std::min(block, tokens.size() - i);
    buf.resize(n * dtype);
    for (size_t k = 0; k < n; ++k) {
      const int32_t id = tokens[i + k];
      if (id < 0 || (dtype == 2 && id > 0xFFFF))
        fail("token shard '", path, "': token id ", id, " at ", i + k, " does not fit ", dtype * 8, " bits");
      if (dtype == 2) put<uint16_t>(buf.data() + 2 * k, uint16_t(id));
      else put<uint32_t>(buf.data() + 4 * k, uint32_t(id));
    }
    f.write(buf.data(), buf.size());
  }
  f.commit();
}

TokenShard TokenShard::open(const std::string& path) {
  TokenShard s;
  s.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("token shard '", path, "': cannot open: ", std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail("token shard '", path, "': cannot stat: ", std::strerror(errno));
  }
  const size_t size = size_t(st.st_size);
  if (size < kShardHeaderBytes) {
    ::close(fd);
    fail("token shard '", path, "': ", size, " bytes is shorter than the ", kShardHeaderBytes, "-byte header");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail("token shard '", path, "': mmap failed: ", std::strerror(errno));
  s.map_ = map;
  s.map_size_ = size;
  const auto* p = static_cast<const uint8_t*>(map);
  if (std::memcmp(p, kShardMagic, 8) != 0) fail("token shard '", path, "': bad magic (not a TOCKTOK shard)");
  const auto version = get<uint32_t>(p + 8);
  if (version != kShardVersion) fail("token shard '", path, "': version ", version, " is not supported (expected ", kShardVersion, ")");
  s.dtype_ = get<uint32_t>(p + 12);
  if (s.dtype_ != 2 && s.dtype_ != 4) fail("token shard '", path, "': dtype ", s.dtype_, " is not 2 or 4 bytes per token");
  s.count_ = get<uint64_t>(p + 16);
  const uint64_t payload = size - kShardHeaderBytes;
  if (s.count_ > payload / s.dtype_ || s.count_ * s.dtype_ != payload)
    fail("token shard '", path, "': header says ", s.count_, " tokens (", s.count_, " x ", s.dtype_,
         " bytes) but the file holds ", payload, " bytes after the header (truncated?)");
  s.data_ = p + kShardHeaderBytes;
  return s;
}

TokenShard::TokenShard(TokenShard&& o) noexcept { *this = std::move(o); }
TokenShard& TokenShard::operator=(TokenShard&& o) noexcept {
  if (this != &o) {
    if (map_) ::munmap(map_, map_size_);
    path_ = std::move(o.path_);
    map_ = o.map_;
    map_size_ = o.map_size_;
    data_ = o.data_;
    count_ = o.count_;
    dtype_ = o.dtype_;
    o.map_ = nullptr;
    o.data_ = nullptr;
    o.count_ = 0;
  }
  return *this;
}
TokenShard::~TokenShard() {
  if (map_) ::munmap(map_, map_size_);
}

void TokenShard::copy(uint64_t first, uint64_t n, int32_t* out) const {
  if (dtype_ == 2) {
    const auto* p = reinterpret_cast<const uint16_t*>(data_) + first;
    for (uint64_t k = 0; k < n; ++k) out[k] = int32_t(p[k]);
  } else {
    const auto* p = reinterpret_cast<const uint32_t*>(data_) + first;
    for (uint64_t k = 0; k < n; ++k) out[k] = int32_t(p[k]);
  }
}

std::vector<int32_t> TokenShard::read_all() const {
  std::vector<int32_t> v(count_);
  copy(0, count_, v.data());
  return v;
}

}  // namespace tock
