// Streaming decode (see streaming_decoder.hpp).
#include "text/streaming_decoder.hpp"

#include "text/utf8.hpp"

namespace tock {

std::string StreamingDecoder::push(int32_t id) {
  const TokenType t = tok_.type(id);
  if (skip_special_ && (t == TokenType::Control || t == TokenType::Unknown)) return {};
  // decode() of a single id applies the same leading-space rule as decode() of the whole
  // sequence does to its first token.
  const int32_t one[1] = {id};
  pending_ += first_ ? tok_.decode(one) : tok_.piece(id);
  first_ = false;
  const size_t n = utf8_complete_prefix(pending_);
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace tock
