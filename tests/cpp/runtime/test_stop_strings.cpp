// Stop strings over streamed pieces: split matches, held-back prefixes, flushing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "runtime/stop_strings.hpp"

namespace tock {
namespace {

// Streams `pieces` and returns everything shown, flushing at the end.
std::string stream(StopStrings& s, const std::vector<std::string>& pieces) {
  std::string shown;
  for (const auto& p : pieces) shown += s.push(p);
  return shown + s.flush();
}

TEST(StopStrings, NoStopStringShowsEverything) {
  StopStrings s({});
  EXPECT_EQ(s.push("Hello"), "Hello");
  EXPECT_EQ(s.push(" world"), " world");
  EXPECT_EQ(s.flush(), "");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStrings, StopInsideOnePieceCutsBeforeIt) {
  StopStrings s({"\nUser:"});
  EXPECT_EQ(s.push("Fine.\nUser: hi"), "Fine.");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.matched(), "\nUser:");
  EXPECT_EQ(s.push("more"), "");
  EXPECT_EQ(s.flush(), "");
}

TEST(StopStrings, StopSplitAcrossPiecesIsFoundAndNeverShown) {
  StopStrings s({"<|im_end|>"});
  EXPECT_EQ(s.push("Hi"), "Hi");
  EXPECT_EQ(s.push(" there<|im"), " there");  // "<|im" could start the stop string: held
  EXPECT_EQ(s.push("_en"), "");
  EXPECT_EQ(s.push("d|>tail"), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.flush(), "");
}

TEST(StopStrings, HeldTextIsReleasedWhenItStopsMatching) {
  StopStrings s({"STOP"});
  EXPECT_EQ(s.push("ST"), "");
  EXPECT_EQ(s.push("AR"), "STAR");
  EXPECT_EQ(s.push("S"), "");
  EXPECT_EQ(s.push("TO"), "");
  EXPECT_EQ(s.push("O"), "STOO");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStrings, FlushReleasesAPartialStopAtTheEnd) {
  StopStrings s({"###"});
  EXPECT_EQ(s.push("answer #"), "answer ");
  EXPECT_EQ(s.push("#"), "");
  EXPECT_EQ(s.flush(), "##");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStrings, EarliestOfSeveralStopsWins) {
  StopStrings s({"world", "lo"});
  EXPECT_EQ(stream(s, {"hello world"}), "hel");
  EXPECT_EQ(s.matched(), "lo");
}

TEST(StopStrings, RepeatedPrefixCharactersStillMatch) {
  // "aab" inside "aaab": the held suffix must restart on the overlapping 'a'.
  StopStrings s({"aab"});
  EXPECT_EQ(stream(s, {"x", "a", "a", "a", "b", "y"}), "xa");
  EXPECT_TRUE(s.stopped());
}

TEST(StopStrings, EveryCharacterAsItsOwnPiece) {
  const std::string text = "The answer is 42.\n\nQuestion: next";
  std::vector<std::string> pieces;
  for (char c : text) pieces.emplace_back(1, c);
  StopStrings s({"\n\nQuestion:", "Answer:"});
  EXPECT_EQ(stream(s, pieces), "The answer is 42.");
}

TEST(StopStrings, Utf8StopStrings) {
  StopStrings s({"。終"});
  EXPECT_EQ(stream(s, {"こんにちは", "。", "終わり"}), "こんにちは");
}

TEST(StopStrings, EmptyStopStringIsAnError) {
  EXPECT_THROW(StopStrings({"ok", ""}), Error);
}

}  // namespace
}  // namespace tock
