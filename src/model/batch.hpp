// The input of one forward pass: tokens of one or more sequences, each with its position.
#pragma once
#include <cstdint>
#include <vector>

namespace tock {

struct Batch {
  std::vector<int32_t> tokens;  // (T)
  std::vector<int32_t> pos;     // (T) position of each token in its sequence
  std::vector<int32_t> seq;     // (T) sequence id of each token
  std::vector<uint8_t> logits;  // (T) 1 = return this token's logits

  void add(int32_t token, int32_t position, int32_t sequence, bool want_logits) {
    tokens.push_back(token);
    pos.push_back(position);
    seq.push_back(sequence);
    logits.push_back(want_logits ? 1 : 0);
  }
  int64_t size() const { return int64_t(tokens.size()); }
  void clear() { tokens.clear(); pos.clear(); seq.clear(); logits.clear(); }
};

}  // namespace tock
