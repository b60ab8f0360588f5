// Reading a text corpus into cleaned documents, for `tock tokenizer train` and `tock data
// prepare`. Each file is one document, except that a line holding only "%" ends a document
// (the fortune/strfile format: /usr/share/games/fortunes). Text is cleaned first
// (clean_text, see text/text_cleaning.hpp); documents that are empty or only whitespace are
// dropped. The whole corpus is held in memory.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tock {

struct Corpus {
  std::vector<std::string> docs;
  uint64_t bytes_read = 0;  // raw bytes of all files
  uint64_t bytes_clean = 0;  // bytes of the documents after cleaning
};

// Errors (naming the file): missing, unreadable, a directory.
Corpus read_corpus(const std::vector<std::string>& paths);

// Splits cleaned text into documents at lines holding only "%" (see above); appends to docs.
void split_documents(std::string_view text, std::vector<std::string>& docs);

// The bytes of a file; Error naming it when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace tock
