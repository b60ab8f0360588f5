// Batch tokenizer for the Python reference checks: spawning `tock tokenize` once per text
// would be too slow for thousands of texts.
//
// usage: tokenize_lines MODEL.gguf [--pre NAME] [--no-special] [--add-special] < texts
// Input: texts separated by NUL bytes. Output, one line per text:
//   <1 if decode(encode(text)) == text else 0> TAB <ids separated by spaces>
// --pre overrides tokenizer.ggml.pre (to test other split rules over the same vocabulary).
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>

#include "io/gguf.hpp"
#include "text/tokenizer.hpp"

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: tokenize_lines MODEL.gguf [--pre NAME] [--no-special] [--add-special]\n");
      return 2;
    }
    const auto file = tock::GgufFile::open(argv[1]);
    tock::Vocab vocab = tock::Tokenizer::read_vocab(file);
    tock::EncodeOptions opt{.add_special = false, .parse_special = true};
    for (int i = 2; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--pre") && i + 1 < argc) vocab.pre = argv[++i];
      else if (!std::strcmp(argv[i], "--no-special")) opt.parse_special = false;
      else if (!std::strcmp(argv[i], "--add-special")) opt.add_special = true;
      else {
        std::fprintf(stderr, "tokenize_lines: unknown argument '%s'\n", argv[i]);
        return 2;
      }
    }
    const tock::Tokenizer tok(std::move(vocab));
    const std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::string out;
    size_t start = 0;
    while (start < all.size()) {
      size_t end = all.find('\0', start);
      if (end == std::string::npos) end = all.size();
      const std::string_view text(all.data() + start, end - start);
      const auto ids = tok.encode(text, opt);
      out += tok.decode(ids) == text ? '1' : '0';
      out += '\t';
      for (size_t k = 0; k < ids.size(); ++k) {
        if (k) out += ' ';
        out += std::to_string(ids[k]);
      }
      out += '\n';
      start = end + 1;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenize_lines: %s\n", e.what());
    return 1;
  }
}
