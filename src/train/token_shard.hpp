// Token shards: the files `tock data prepare` writes and the data loader reads.
// Layout (little-endian), 24-byte header then the tokens:
//   magic  8 bytes  "TOCKTOK\0"
//   version u32     1
//   dtype   u32     bytes per token: 2 (uint16, vocabularies of <= 65536 tokens) or 4 (uint32)
//   count   u64     number of tokens
//   tokens  count * dtype bytes
// A file whose size is not exactly 24 + count * dtype is refused (truncated or padded).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tock {

inline constexpr char kShardMagic[8] = {'T', 'O', 'C', 'K', 'T', 'O', 'K', '\0'};
inline constexpr uint32_t kShardVersion = 1;
inline constexpr size_t kShardHeaderBytes = 24;

// Bytes per token for a vocabulary: 2 when every id fits in uint16, else 4.
uint32_t shard_dtype_for_vocab(int64_t vocab_size);

// Writes one shard atomically. Ids must fit the dtype (Error naming the id otherwise).
void write_token_shard(const std::string& path, std::span<const int32_t> tokens, uint32_t dtype);

// A shard opened read-only and memory-mapped; the header is validated on open.
class TokenShard {
 public:
  static TokenShard open(const std::string& path);  // Error naming the file and the problem
  TokenShard(TokenShard&&) noexcept;
  TokenShard& operator=(TokenShard&&) noexcept;
  ~TokenShard();

  const std::string& path() const { return path_; }
  uint64_t size() const { return count_; }
  uint32_t dtype() const { return dtype_; }
  uint32_t at(uint64_t i) const {  // no bounds check: callers keep i < size()
    return dtype_ == 2 ? uint32_t(reinterpret_cast<const uint16_t*>(data_)[i])
                       : reinterpret_cast<const uint32_t*>(data_)[i];
  }
  // Copies tokens [first, first + n) into out (widened to int32).
  void copy(uint64_t first, uint64_t n, int32_t* out) const;
  std::vector<int32_t> read_all() const;

 private:
  TokenShard() = default;
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const uint8_t* data_ = nullptr;
  uint64_t count_ = 0;
  uint32_t dtype_ = 2;
};

}  // namespace tock
