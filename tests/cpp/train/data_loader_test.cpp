// Token shards and the data loader: header validation, window bounds, determinism,
// resume equality and coverage in sequential order.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "train/data_loader.hpp"
#include "train/token_shard.hpp"

namespace tock {

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("tock_loader_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Shards holding the stream 0, 1, 2, ..., so a token's value is its position.
std::vector<std::string> counting_shards(const TempDir& d, const std::vector<int>& sizes, uint32_t dtype = 2) {
  std::vector<std::string> paths;
  int32_t next = 0;
  for (size_t s = 0; s < sizes.size(); ++s) {
    std::vector<int32_t> t(size_t(sizes[s]));
    for (auto& x : t) x = next++;
    paths.push_back(d.file("train_" + std::to_string(s) + ".bin"));
    write_token_shard(paths.back(), t, dtype);
  }
  return paths;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST(TokenShard, RoundTripsUint16AndUint32WithTheDocumentedHeader) {
  TempDir d;
  const std::vector<int32_t> small = {0, 1, 65535, 7};
  write_token_shard(d.file("a.bin"), small, 2);
  EXPECT_EQ(std::filesystem::file_size(d.file("a.bin")), 24u + 4 * 2);
  std::ifstream f(d.file("a.bin"), std::ios::binary);
  char head[24];
  f.read(head, 24);
  EXPECT_EQ(std::string(head, 8), std::string("TOCKTOK\0", 8));
  EXPECT_EQ(head[8], 1);   // version
  EXPECT_EQ(head[12], 2);  // bytes per token
  EXPECT_EQ(head[16], 4);  // count
  EXPECT_EQ(TokenShard::open(d.file("a.bin")).read_all(), small);

  const std::vector<int32_t> big = {70000, 0, 123456789};
  write_token_shard(d.file("b.bin"), big, 4);
  const TokenShard s = TokenShard::open(d.file("b.bin"));
  EXPECT_EQ(s.dtype(), 4u);
  EXPECT_EQ(s.read_all(), big);
  EXPECT_NE(error_of([&] { write_token_shard(d.file("c.bin"), big, 2); }).find("token id 70000 at 0 does not fit 16 bits"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(d.file("c.bin")));  // nothing half-written left behind
  EXPECT_EQ(shard_dtype_for_vocab(65536), 2u);
  EXPECT_EQ(shard_dtype_for_vocab(65537), 4u);
}

TEST(TokenShard, RejectsBadMagicVersionDtypeAndTruncation) {
  TempDir d;
  write_token_shard(d.file("ok.bin"), std::vector<int32_t>{1, 2, 3}, 2);
  std::string bytes;
  {
    std::ifstream f(d.file("ok.bin"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto err = [&](std::string b) {
    write_bytes(d.file("bad.bin"), b);
    return error_of([&] { TokenShard::open(d.file("bad.bin")); });
  };
  std::string b = bytes;
  b[0] = 'X';
  EXPECT_NE(err(b).find("bad magic"), std::string::npos);
  b = bytes;
  b[8] = 9;
  EXPECT_NE(err(b).find("version 9 is not supported"), std::string::npos);
  b = bytes;
  b[12] = 3;
  EXPECT_NE(err(b).find("dtype 3"), std::string::npos);
  const std::string truncated = err(bytes.substr(0, bytes.size() - 1));
  EXPECT_NE(truncated.find("header says 3 tokens"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("bad.bin"), std::string::npos);
  EXPECT_NE(err(bytes.substr(0, 10)).find("shorter than the 24-byte header"), std::string::npos);
  EXPECT_NE(error_of([&] { TokenShard::open(d.file("missing.bin")); }).find("cannot open"), std::string::npos);
}

TEST(DataLoader, RandomWindowsAreContiguousInBoundsAndCrossShards) {
  TempDir d;
  const auto paths = counting_shards(d, {50, 7, 0, 60});
  const int64_t T = 16, B = 8;
  DataLoader dl(paths, T, WindowOrder::Random, 42);
  EXPECT_EQ(dl.tokens(), 117u);
  std::set<int32_t> starts;
  for (int step = 0; step < 50; ++step) {
    const auto batch = dl.next_batch(B);
    ASSERT_EQ(batch.size(), size_t(B * (T + 1)));
    for (int64_t b = 0; b < B; ++b) {
      const int32_t s = batch[size_t(b * (T + 1))];
      starts.insert(s);
      ASSERT_GE(s, 0);
      ASSERT_LE(s + T, 116);  // the last token of the window exists
      for (int64_t t = 0; t <= T; ++t) ASSERT_EQ(batch[size_t(b * (T + 1) + t)], s + t);
    }
  }
  EXPECT_GT(starts.size(), 80u);  // 400 draws over 101 starts reach most of them
  EXPECT_TRUE(starts.count(0) || starts.count(100));
  EXPECT_EQ(dl.state().next_window, 400u);
}

TEST(DataLoader, SameSeedSameBatchesOtherSeedOthers) {
  TempDir d;
  const auto paths = counting_shards(d, {1000});
  DataLoader a(paths, 32, WindowOrder::Random, 7), b(paths, 32, WindowOrder::Random, 7),
      c(paths, 32, WindowOrder::Random, 8);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const auto x = a.next_batch(4), y = b.next_batch(4), z = c.next_batch(4);
    EXPECT_EQ(x, y);
    differs |= x != z;
  }
  EXPECT_TRUE(differs);
}

TEST(DataLoader, ResumeFromSavedStateContinuesTheSameSequence) {
  TempDir d;
  const auto paths = counting_shards(d, {300, 300});
  for (WindowOrder order : {WindowOrder::Random, WindowOrder::Sequential}) {
    DataLoader full(paths, 20, order, 99);
    std::vector<std::vector<int32_t>> expected;
    LoaderState saved;
    for (int i = 0; i < 12; ++i) {
      if (i == 5) saved = full.state();
      expected.push_back(full.next_batch(3));
    }
    DataLoader resumed(paths, 20, order, 12345);  // a fresh process; the seed comes from the state
    resumed.restore(saved);
    for (int i = 5; i < 12; ++i) EXPECT_EQ(resumed.next_batch(3), expected[size_t(i)]) << "batch " << i;
    EXPECT_EQ(resumed.state(), full.state());
  }
}

TEST(DataLoader, SequentialCoversEveryTokenOncePerEpochThenWraps) {
  TempDir d;
  const auto paths = counting_shards(d, {40, 31});  // N = 71
  const int64_t T = 8;
  DataLoader dl(paths, T, WindowOrder::Sequential, 0);
  const uint64_t W = dl.windows_per_epoch();
  EXPECT_EQ(W, 9u);  // ceil(70 / 8)
  std::vector<int> seen(71, 0);
  std::vector<int32_t> firsts;
  for (uint64_t k = 0; k < W; ++k) {
    const auto w = dl.next_batch(1);
    firsts.push_back(w[0]);
    for (int64_t t = 0; t <= T; ++t) ASSERT_EQ(w[size_t(t)], w[0] + t);
    for (int32_t x : w) seen[size_t(x)]++;
  }
  for (int i = 0; i < 71; ++i) EXPECT_GE(seen[size_t(i)], 1) << "token " << i;
  EXPECT_EQ(firsts, (std::vector<int32_t>{0, 8, 16, 24, 32, 40, 48, 56, 62}));  // last pulled back
  EXPECT_EQ(dl.next_batch(1)[0], 0);  // next epoch
}

TEST(DataLoader, ErrorsNameTheProblem) {
  TempDir d;
  const auto paths = counting_shards(d, {5});
  EXPECT_NE(error_of([&] { DataLoader(paths, 5, WindowOrder::Random, 0); }).find("fewer than one window of T + 1 = 6"),
            std::string::npos);
  EXPECT_NE(error_of([&] { DataLoader({}, 4, WindowOrder::Random, 0); }).find("no token shards"), std::string::npos);
  EXPECT_NE(error_of([&] { DataLoader::split_shards(d.path.string(), "train"); }).find("meta.json"), std::string::npos);
  write_bytes(d.file("meta.json"), R"({"train": {"shards": ["train_0.bin"]}})");
  const auto listed = DataLoader::split_shards(d.path.string(), "train");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(DataLoader(listed, 4, WindowOrder::Sequential, 0).tokens(), 5u);
  EXPECT_NE(error_of([&] { DataLoader::split_shards(d.path.string(), "val"); }).find("no 'val.shards'"), std::string::npos);
}

TEST(DataLoader, Uint32ShardsAndMaxToken) {
  TempDir d;
  write_token_shard(d.file("t.bin"), std::vector<int32_t>{5, 100000, 3, 4}, 4);
  DataLoader dl({d.file("t.bin")}, 3, WindowOrder::Sequential, 0);
  EXPECT_EQ(dl.next_batch(1), (std::vector<int32_t>{5, 100000, 3, 4}));
  EXPECT_EQ(dl.max_token(), 100000u);
}

}  // namespace tock
