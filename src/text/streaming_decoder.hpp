// Turns token ids into text one id at a time, for printing while generating. A token may
// end in the middle of a UTF-8 character (byte-level BPE splits emoji and CJK into byte
// tokens); those bytes are held back until the character is complete, so every returned
// string is whole characters. The concatenation of all push() results and flush() equals
// Tokenizer::decode() of the same ids.
#pragma once
#include <cstdint>
#include <string>

#include "text/tokenizer.hpp"

namespace tock {

class StreamingDecoder {
 public:
  // `tok` must outlive the decoder.
  explicit StreamingDecoder(const Tokenizer& tok, bool skip_special = false)
      : tok_(tok), skip_special_(skip_special) {}

  // The text that became complete with this token (often empty or one piece).
  std::string push(int32_t id);
  // Whatever is still held back (an unfinished character at the end of the stream).
  std::string flush();

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace tock
