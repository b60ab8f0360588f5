// The training data loader: windows of T+1 tokens (inputs are the first T, targets the
// last T) from the token shards of one split, in batches of B, shape (B, T+1).
//
// The shards of a split are read (memory-mapped) as one stream of N tokens. Window k:
//   - Random order: starts at random_at(seed, k) reduced to [0, N - T - 1], a pure
//     function of (seed, k), so any batch can be recomputed without replaying the others.
//   - Sequential order: W = ceil((N - 1) / T) windows per epoch; window j of an epoch
//     starts at min(j * T, N - T - 1), so consecutive windows share one token (the last
//     target of one is the first input of the next), every token is in some window, and
//     the last window is pulled back to fit. Window k is window k mod W of epoch k / W.
// The whole state is LoaderState {seed, next window}: save it in a checkpoint, restore it,
// and the batches continue exactly as without the interruption.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/token_shard.hpp"

namespace tock {

enum class WindowOrder { Random, Sequential };

struct LoaderState {
  uint64_t seed = 0;
  uint64_t next_window = 0;  // windows handed out so far
  bool operator==(const LoaderState&) const = default;
};

class DataLoader {
 public:
  // Error: no shards, a bad shard (token_shard.hpp), fewer than T + 1 tokens, T < 1.
  DataLoader(const std::vector<std::string>& shard_paths, int64_t T, WindowOrder order, uint64_t seed);
  // The shard paths of split "train" or "val" listed in DIR/meta.json (data_prepare.hpp).
  static std::vector<std::string> split_shards(const std::string& dir, const std::string& split);

  uint64_t tokens() const { return total_; }
  int64_t seq_len() const { return T_; }
  WindowOrder order() const { return order_; }
  uint64_t windows_per_epoch() const;  // sequential order
  uint64_t window_start(uint64_t k) const;  // first token of window k in the stream

  // out: (B, T+1) row-major; hands out windows next_window .. next_window + B - 1.
  void next_batch(int64_t B, int32_t* out);
  std::vector<int32_t> next_batch(int64_t B);
  // Copies tokens [first, first + n) of the stream (n may cross shard boundaries).
  void copy_tokens(uint64_t first, uint64_t n, int32_t* out) const;
  // Largest token id in the split (a full scan; to check it fits the model's vocabulary).
  uint32_t max_token() const;

  LoaderState state() const { return state_; }
  void restore(const LoaderState& s) { state_ = s; }

 private:
  std::vector<TokenShard> shards_;
  std::vector<uint64_t> starts_;  // stream offset of each shard
  uint64_t total_ = 0;
  int64_t T_;
  WindowOrder order_;
  LoaderState state_;
};

}  // namespace tock
