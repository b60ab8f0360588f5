// GgufWriter: exact bytes for a small file (assembled by hand from the format), and
// write -> read -> identical metadata and tensor bytes, with correct alignment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "gguf_bytes.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

using testing::Bytes;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

TEST(GgufWriter, BytesMatchTheFormatByHand) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.set("n", GgufValue::of_u32(7));
  const float a[3] = {1, 2, 3};
  const float b[2] = {4, 5};
  w.add_tensor("a", DType::F32, {3}, a, sizeof a);
  w.add_tensor("b", DType::F32, {2, 1}, b, sizeof b);

  Bytes want;
  want.header(3, 2, 2);
  want.str("general.architecture").u32(8).str("llama");
  want.str("n").u32(4).u32(7);
  want.tensor_info("a", {3}, 0, 0);
  want.tensor_info("b", {2, 1}, 0, 32);  // 12 bytes padded to the default alignment 32
  want.pad_to(32).raw(a, sizeof a).pad_to(32).raw(b, sizeof b).pad_to(32);
  EXPECT_EQ(w.to_bytes(), want.b);
}

GgufWriter rich_writer(std::vector<uint8_t>& q4) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.set("general.alignment", GgufValue::of_u32(64));
  GgufValue u8;
  u8.type = GgufType::U8;
  u8.u = 255;
  w.set("u8", u8);
  GgufValue i16;
  i16.type = GgufType::I16;
  i16.i = -12345;
  w.set("i16", i16);
  w.set("i32", GgufValue::of_i32(-7));
  w.set("u64", GgufValue::of_u64(~0ull));
  w.set("i64", GgufValue::of_i64(-(1ll << 50)));
  w.set("f32", GgufValue::of_f32(0.1f));
  w.set("f64", GgufValue::of_f64(0.1));
  w.set("bool", GgufValue::of_bool(true));
  w.set("tokens", GgufValue::of_strings({"<s>", "", "Ġthe", std::string("\0x", 2)}));
  w.set("scores", GgufValue::of_f32s({-1.5f, 0.f, 3.25f}));
  w.set("types", GgufValue::of_i32s({1, 3, 6}));
  w.set("bools", GgufValue::of_raw_array(GgufType::BOOL, {1, 0, 1}));
  w.set("empty", GgufValue::of_i32s({}));
  w.set("nested", GgufValue::of_arrays({GgufValue::of_f32s({1.f}), GgufValue::of_strings({"x", "y"}),
                                        GgufValue::of_arrays({GgufValue::of_i32s({4})})}));
  w.set("n", GgufValue::of_u32(1));
  w.set("n", GgufValue::of_u32(2));  // replaces, keeps position
  std::vector<float> f(5 * 3);
  for (size_t k = 0; k < f.size(); ++k) f[k] = float(k) * 0.25f - 1;
  w.add_tensor("blk.0.w", DType::F32, {5, 3}, f.data(), f.size() * 4);
  q4.resize(18 * 4);
  for (size_t k = 0; k < q4.size(); ++k) q4[k] = uint8_t(k * 37 + 11);
  w.add_tensor("blk.0.q", DType::Q4_0, {64, 2}, q4.data(), q4.size());
  w.add_tensor_view("blk.0.v", DType::Q4_0, {32, 1, 1, 4}, q4.data(), q4.size());
  return w;
}

TEST(GgufWriter, RoundTripKeepsMetadataAndBytes) {
  std::vector<uint8_t> q4;
  const GgufWriter w = rich_writer(q4);
  const std::vector<uint8_t> bytes = w.to_bytes();
  const GgufFile f = GgufFile::parse(bytes.data(), bytes.size());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);

  ASSERT_EQ(f.metadata().size(), 17u);
  EXPECT_EQ(f.metadata()[16].first, "n");
  EXPECT_EQ(f.get_int("n"), 2);
  EXPECT_EQ(f.get_int("u8"), 255);
  EXPECT_EQ(f.get_int("i16"), -12345);
  EXPECT_EQ(f.get("u64").u, ~0ull);
  EXPECT_HAS(error_of([&] { f.get_int("u64"); }), "metadata 'u64' = 18446744073709551615 is out of range");
  EXPECT_EQ(f.get_int("i64"), -(1ll << 50));
  EXPECT_EQ(f.get_float("f32"), double(0.1f));
  EXPECT_EQ(f.get_float("f64"), 0.1);
  EXPECT_EQ(f.get("tokens").as_strings("tokens")[3], std::string("\0x", 2));
  EXPECT_EQ(f.get("scores").as_floats("scores"), (std::vector<float>{-1.5f, 0.f, 3.25f}));
  EXPECT_EQ(f.get("types").as_ints("types"), (std::vector<int32_t>{1, 3, 6}));
  EXPECT_EQ(f.get("bools").element(2).as_bool("bools"), true);
  EXPECT_EQ(f.get("empty").array_size(), 0u);
  EXPECT_EQ(f.get("nested").items[2].items[0].as_ints("x"), (std::vector<int32_t>{4}));
  GgufWriter copy;
  for (const auto& [k, v] : f.metadata()) copy.set(k, v);

  ASSERT_EQ(f.tensors().size(), 3u);
  for (const auto& t : f.tensors()) {
    EXPECT_EQ(t.offset % 64, 0u) << t.name;
    const TensorView v = f.view(t);
    copy.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims), v.data, v.nbytes);
  }
  EXPECT_EQ(f.tensor("blk.0.w").nbytes, 60u);
  EXPECT_EQ(static_cast<const float*>(f.tensor("blk.0.w").data)[14], 14 * 0.25f - 1);
  EXPECT_EQ(std::memcmp(f.tensor("blk.0.q").data, q4.data(), q4.size()), 0);
  EXPECT_EQ(f.tensor("blk.0.v").ne[3], 4);
  EXPECT_EQ(f.tensor("blk.0.v").n_dims, 4);
  // Offsets are the running sum of padded sizes: 60 -> 64, 72 -> 128.
  EXPECT_EQ(f.tensor("blk.0.q").data, static_cast<const uint8_t*>(f.tensor("blk.0.w").data) + 64);
  EXPECT_EQ(f.tensor("blk.0.v").data, static_cast<const uint8_t*>(f.tensor("blk.0.q").data) + 128);
  // Read -> write again gives the very same file.
  EXPECT_EQ(copy.to_bytes(), bytes);
  EXPECT_EQ(bytes.size() % 64, 0u);
}

TEST(GgufWriter, WriteIsAtomicAndEqualsToBytes) {
  std::vector<uint8_t> q4;
  const GgufWriter w = rich_writer(q4);
  const auto dir = std::filesystem::path(::testing::TempDir()) / cat("tock_gguf_w_", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "m.gguf").string();
  w.write(path);
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(disk, w.to_bytes());
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "the temp file must be renamed away";
  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.tensors().size(), 3u);
  EXPECT_HAS(error_of([&] { w.write((dir / "no/such/dir/m.gguf").string()); }), "cannot create");
  std::filesystem::remove_all(dir);
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  const float x[4] = {};
  EXPECT_HAS(error_of([&] { w.add_tensor("t", DType::F32, {5}, x, sizeof x); }),
             "tensor 't' (F32) is given 16 bytes; its shape needs 20");
  EXPECT_HAS(error_of([&] { w.add_tensor("t", DType::Q4_0, {4}, x, sizeof x); }),
             "not a whole number of Q4_0 blocks");
  EXPECT_HAS(error_of([&] { w.add_tensor("t", DType::F32, {}, x, 0); }), "has 0 dimensions");
  EXPECT_HAS(error_of([&] { w.add_tensor(std::string(64, 'n'), DType::F32, {4}, x, sizeof x); }),
             "is 64 bytes; the limit is 63");
  w.add_tensor("t", DType::F32, {4}, x, sizeof x);
  EXPECT_HAS(error_of([&] { w.add_tensor("t", DType::F32, {4}, x, sizeof x); }), "tensor 't' added twice");
  w.set("general.alignment", GgufValue::of_u32(48));
  EXPECT_HAS(error_of([&] { w.to_bytes(); }), "general.alignment = 48 is not a power of two");
}

}  // namespace
}  // namespace tock
