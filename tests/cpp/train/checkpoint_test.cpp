// Checkpoint files: an exact round trip of header and blocks, and clear errors on damage.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace tock {
namespace {

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("tock_ckpt_") + name)).string();
}

void write_sample(const std::string& path, int64_t n) {
  std::vector<float> p(static_cast<size_t>(n)), m(static_cast<size_t>(n)), v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    p[size_t(i)] = float(i) * 0.5f - 3.0f;
    m[size_t(i)] = -float(i);
    v[size_t(i)] = 1e-30f * float(i + 1);
  }
  write_checkpoint(path, {{"step", 7}, {"text", "abc"}}, p.data(), m.data(), v.data(), n);
}

TEST(Checkpoint, RoundTripsHeaderAndBlocksExactly) {
  for (int64_t n : {0, 1, 13}) {
    const std::string path = temp_path("roundtrip.bin");
    write_sample(path, n);
    const Checkpoint c = read_checkpoint(path);
    EXPECT_EQ(c.header["step"], 7);
    EXPECT_EQ(c.header["text"], "abc");
    ASSERT_EQ(c.num_params, n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(c.params[size_t(i)], float(i) * 0.5f - 3.0f);
      EXPECT_EQ(c.m[size_t(i)], -float(i));
      EXPECT_EQ(c.v[size_t(i)], 1e-30f * float(i + 1));
    }
    // 16-byte preamble + header padded to 8, then 3 blocks of n floats: the data starts aligned.
    const auto size = std::filesystem::file_size(path);
    EXPECT_EQ((size - 12 * uint64_t(n)) % 8, 0u);
    std::remove(path.c_str());
  }
}

TEST(Checkpoint, TruncatedFileIsAnErrorNamingIt) {
  const std::string path = temp_path("truncated.bin");
  write_sample(path, 13);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  try {
    read_checkpoint(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Checkpoint, BadMagicAndTrailingBytesAreErrors) {
  const std::string path = temp_path("magic.bin");
  {
    std::ofstream f(path, std::ios::binary);
    f << "GGUF and more bytes than the preamble";
  }
  EXPECT_THROW(read_checkpoint(path), Error);
  write_sample(path, 3);
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << "x";
  }
  EXPECT_THROW(read_checkpoint(path), Error);
  std::remove(path.c_str());
  EXPECT_THROW(read_checkpoint(path), Error);  // missing
}

}  // namespace
}  // namespace tock
