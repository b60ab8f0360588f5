// Data loader over token shards (see data_loader.hpp).
#include "train/data_loader.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "train/random.hpp"

namespace tock {

DataLoader::DataLoader(const std::vector<std::string>& paths, int64_t T, WindowOrder order, uint64_t seed)
    : T_(T), order_(order), state_{seed, 0} {
  if (T < 1) fail("data loader: sequence length ", T, " must be at least 1");
  if (paths.empty()) fail("data loader: no token shards given");
  for (const auto& p : paths) {
    shards_.push_back(TokenShard::open(p));
    starts_.push_back(total_);
    total_ += shards_.back().size();
  }
  if (total_ < uint64_t(T) + 1)
    fail("data loader: the shards hold ", total_, " tokens, fewer than one window of T + 1 = ", T + 1,
         " (", paths.front(), paths.size() > 1 ? ", ..." : "", ")");
}

std::vector<std::string> DataLoader::split_shards(const std::string& dir, const std::string& split) {
  const std::string path = dir + "/meta.json";
  std::ifstream f(path);
  if (!f) fail("data loader: cannot open '", path, "' (run `tock data prepare` to make it)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    fail("data loader: '", path, "' is not valid JSON: ", e.what());
  }
  if (!meta.contains(split) || !meta[split].contains("shards") || !meta[split]["shards"].is_array())
    fail("data loader: '", path, "' has no '", split, ".shards' list");
  std::vector<std::string> out;
  for (const auto& s : meta[split]["shards"]) {
    if (!s.is_string()) fail("data loader: '", path, "': ", split, ".shards holds a non-string");
    out.push_back(dir + "/" + s.get<std::string>());
  }
  if (out.empty()) fail("data loader: '", path, "': split '", split, "' has no shards");
  return out;
}

uint64_t DataLoader::windows_per_epoch() const {
  return (total_ - 1 + uint64_t(T_) - 1) / uint64_t(T_);
}

uint64_t DataLoader::window_start(uint64_t k) const {
  const uint64_t last = total_ - uint64_t(T_) - 1;  // the last valid start
  if (order_ == WindowOrder::Random) return reduce_below(random_at(state_.seed, k), last + 1);
  const uint64_t j = k % windows_per_epoch();
  return std::min(j * uint64_t(T_), last);
}

void DataLoader::copy_tokens(uint64_t first, uint64_t n, int32_t* out) const {
  // The shard holding `first`: the last one starting at or before it.
  size_t s = size_t(std::upper_bound(starts_.begin(), starts_.end(), first) - starts_.begin()) - 1;
  while (n > 0) {
    const uint64_t off = first - starts_[s];
    const uint64_t take = std::min(n, shards_[s].size() - off);
    shards_[s].copy(off, take, out);
    out += take;
    first += take;
    n -= take;
    ++s;
  }
}

void DataLoader::next_batch(int64_t B, int32_t* out) {
  if (B < 1) fail("data loader: batch size ", B, " must be at least 1");
  const uint64_t W = uint64_t(T_) + 1;
  for (int64_t b = 0; b < B; ++b) copy_tokens(window_start(state_.next_window++), W, out + b * int64_t(W));
}

std::vector<int32_t> DataLoader::next_batch(int64_t B) {
  std::vector<int32_t> v(size_t(B) * size_t(T_ + 1));
  next_batch(B, v.data());
  return v;
}

uint32_t DataLoader::max_token() const {
  uint32_t m = 0;
  for (const auto& s : shards_)
    for (uint64_t i = 0; i < s.size(); ++i) m = std::max(m, s.at(i));
  return m;
}

}  // namespace tock
