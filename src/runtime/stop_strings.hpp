// Stop strings over streamed text: finds any of the stop strings in generated text as it arrives
// piece by piece (a stop string may be split across tokens), and holds back the tail that could
// still be the start of one, so the user never sees a partial stop string. The stop string itself
// is never shown (as llama.cpp's server and OpenAI's `stop` parameter do).
// Not here: detokenisation and UTF-8 completeness (pieces should be whole characters), EOS tokens.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tock {

class StopStrings {
 public:
  // Empty stop strings are an error (they would match before any text).
  explicit StopStrings(std::vector<std::string> stops);

  // Feeds the next piece of generated text; returns the text now safe to show (possibly empty).
  // After a stop string is found, returns the text before it and stopped() becomes true; later
  // calls return "".
  std::string push(std::string_view piece);

  // End of generation without a stop string: the held-back text. "" once stopped.
  std::string flush();

  bool stopped() const { return matched_ >= 0; }
  // The stop string that ended the text; "" while not stopped.
  std::string_view matched() const;
  const std::vector<std::string>& stops() const { return stops_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;  // text not yet shown: a suffix that may begin a stop string
  int matched_ = -1;
};

}  // namespace tock
