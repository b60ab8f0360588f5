// Corpus reading and data preparation helpers: document splitting, shuffle order.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "train/corpus.hpp"
#include "train/data_prepare.hpp"

namespace tock {

TEST(Corpus, PercentLinesSplitDocumentsAndBlankDocumentsAreDropped) {
  std::vector<std::string> docs;
  split_documents("one\nline\n%\ntwo\n%\n  \n%\n% not a separator\n%", docs);
  EXPECT_EQ(docs, (std::vector<std::string>{"one\nline\n", "two\n", "% not a separator\n"}));
  docs.clear();
  split_documents("no separators\n100%\n", docs);
  EXPECT_EQ(docs, (std::vector<std::string>{"no separators\n100%\n"}));
}

TEST(Corpus, MissingFileAndDirectoryAreNamed) {
  try {
    read_corpus({"/nonexistent/tock.txt"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open '/nonexistent/tock.txt'"), std::string::npos);
  }
  try {
    read_corpus({"/tmp"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
}

TEST(DataPrepare, ShuffleIsASeededPermutation) {
  const auto a = shuffled_order(100, 1), b = shuffled_order(100, 1), c = shuffled_order(100, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto s = a;
  std::sort(s.begin(), s.end());
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(s[i], i);
  EXPECT_TRUE(shuffled_order(0, 1).empty());
}

}  // namespace tock
