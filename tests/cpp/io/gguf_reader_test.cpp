// GgufFile: parsing of hand-assembled files, and one specific error for each kind of bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>

#include "core/error.hpp"
#include "core/float16.hpp"
#include "gguf_bytes.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

using testing::Bytes;

// The message of the tock::Error that f throws ("(no error)" when it returns).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string parse_error(const Bytes& b) {
  return error_of([&] { GgufFile::parse(b.b.data(), b.b.size(), "t.gguf"); });
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

std::string temp_path(const std::string& stem) {
  return cat(::testing::TempDir(), "tock_gguf_", stem, "_", ::getpid(), ".gguf");
}

// A well-formed v3 file: 2 metadata keys, one 2x3 F32 tensor and one 32-element Q8_0 tensor.
Bytes small_file(uint32_t version = 3) {
  Bytes b;
  b.header(version, 2, 2);
  b.str("general.architecture").u32(8).str("llama");
  b.str("llama.block_count").u32(4).u32(30);
  b.tensor_info("w", {3, 2}, 0, 0);
  b.tensor_info("q", {32}, 8, 32);  // F32 tensor is 24 bytes, padded to 32
  b.pad_to(32);
  for (int k = 0; k < 6; ++k) b.put<float>(float(k) + 0.5f);
  b.pad_to(32);
  b.put<uint16_t>(f32_to_f16(0.5f));
  for (int k = 0; k < 32; ++k) b.put<int8_t>(int8_t(k - 16));
  b.pad_to(32);
  return b;
}

TEST(GgufReader, ParsesHandAssembledFile) {
  const Bytes b = small_file();
  const GgufFile f = GgufFile::parse(b.b.data(), b.b.size());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  ASSERT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata()[0].first, "general.architecture");
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 30);
  EXPECT_EQ(f.get_int("llama.missing", 7), 7);
  ASSERT_EQ(f.tensors().size(), 2u);
  // Header 24 + kv (8+20+4+8+5) + (8+17+4+4) + infos (8+1+4+16+4+8) + (8+1+4+8+4+8) = 176 -> 192.
  EXPECT_EQ(f.data_offset(), 192u);
  const TensorView w = f.tensor("w");
  EXPECT_EQ(w.type, DType::F32);
  EXPECT_EQ(w.n_dims, 2);
  EXPECT_EQ(w.ne[0], 3);
  EXPECT_EQ(w.ne[1], 2);
  EXPECT_EQ(w.nbytes, 24u);
  EXPECT_EQ(static_cast<const float*>(w.data)[5], 5.5f);
  const TensorView q = f.tensor("q");
  EXPECT_EQ(q.type, DType::Q8_0);
  EXPECT_EQ(q.nbytes, 34u);
  EXPECT_EQ(static_cast<const uint8_t*>(q.data) - static_cast<const uint8_t*>(w.data), 32);
}

TEST(GgufReader, ReadsVersion2LikeVersion3) {
  const Bytes b = small_file(2);
  const GgufFile f = GgufFile::parse(b.b.data(), b.b.size());
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
}

TEST(GgufReader, EveryScalarTypeAndNestedArrays) {
  Bytes b;
  b.header(3, 0, 14);
  b.str("u8").u32(0).u8(200);
  b.str("i8").u32(1).put<int8_t>(-100);
  b.str("u16").u32(2).put<uint16_t>(60000);
  b.str("i16").u32(3).put<int16_t>(-30000);
  b.str("u32").u32(4).u32(4000000000u);
  b.str("i32").u32(5).put<int32_t>(-2000000000);
  b.str("f32").u32(6).put<float>(1.25f);
  b.str("bool").u32(7).u8(1);
  b.str("str").u32(8).str("héllo");
  b.str("u64").u32(10).u64(1ull << 40);
  b.str("i64").u32(11).i64(-(1ll << 40));
  b.str("f64").u32(12).put<double>(-0.1);
  b.str("strs").u32(9).u32(8).u64(2).str("a").str("");
  // [[1, 2], []] as an array of arrays of i16.
  b.str("nested").u32(9).u32(9).u64(2).u32(3).u64(2).put<int16_t>(1).put<int16_t>(2).u32(3).u64(0);
  const GgufFile f = GgufFile::parse(b.b.data(), b.b.size());
  EXPECT_EQ(f.get_int("u8"), 200);
  EXPECT_EQ(f.get_int("i8"), -100);
  EXPECT_EQ(f.get_int("u16"), 60000);
  EXPECT_EQ(f.get_int("i16"), -30000);
  EXPECT_EQ(f.get_int("u32"), 4000000000ll);
  EXPECT_EQ(f.get_int("i32"), -2000000000);
  EXPECT_EQ(f.get_float("f32"), 1.25);
  EXPECT_TRUE(f.get_bool("bool"));
  EXPECT_EQ(f.get_string("str"), "h\xc3\xa9llo");
  EXPECT_EQ(f.get_int("u64"), 1ll << 40);
  EXPECT_EQ(f.get_int("i64"), -(1ll << 40));
  EXPECT_EQ(f.get_float("f64"), -0.1);
  EXPECT_EQ(f.get("strs").as_strings("strs"), (std::vector<std::string>{"a", ""}));
  const GgufValue& n = f.get("nested");
  ASSERT_EQ(n.array_size(), 2u);
  EXPECT_EQ(n.elem_type, GgufType::ARRAY);
  EXPECT_EQ(n.items[0].as_ints("nested[0]"), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(n.items[1].array_size(), 0u);
  EXPECT_EQ(n.items[0].element(1).i, 2);
  // Wrong-type access names the key.
  EXPECT_HAS(error_of([&] { f.get_string("u8"); }), "metadata 'u8' is u8, expected string");
  EXPECT_HAS(error_of([&] { f.get("missing"); }), "missing metadata key 'missing'");
}

TEST(GgufReader, HonoursGeneralAlignment) {
  Bytes b;
  b.header(3, 1, 1);
  b.str("general.alignment").u32(4).u32(64);
  b.tensor_info("t", {4}, 0, 0);
  b.pad_to(64);
  const size_t data = b.b.size();
  for (int k = 0; k < 4; ++k) b.put<float>(float(k));
  const GgufFile f = GgufFile::parse(b.b.data(), b.b.size());
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset(), data);
  EXPECT_EQ(data, 128u);  // header 24 + kv 33 + tensor info 33 = 90 -> next multiple of 64
}

// ---- bad input: each a specific message ----

TEST(GgufReaderBadInput, MissingFile) {
  const std::string e = error_of([] { GgufFile::open("/nonexistent/dir/model.gguf"); });
  EXPECT_HAS(e, "gguf: /nonexistent/dir/model.gguf: cannot open: No such file or directory");
}

TEST(GgufReaderBadInput, EmptyFile) {
  const std::string p = temp_path("empty");
  { std::ofstream(p, std::ios::binary); }
  const std::string e = error_of([&] { GgufFile::open(p); });
  std::remove(p.c_str());
  EXPECT_HAS(e, "empty file (0 bytes)");
}

TEST(GgufReaderBadInput, Directory) {
  EXPECT_HAS(error_of([] { GgufFile::open("/tmp"); }), "/tmp: not a regular file");
}

TEST(GgufReaderBadInput, WrongMagic) {
  Bytes b;
  b.raw("GGML", 4).u32(3).u64(0).u64(0);
  EXPECT_HAS(parse_error(b), "t.gguf: not a GGUF file (magic 'GGML', expected 'GGUF')");
  Bytes c;
  c.raw("\x7f" "ELF", 4);
  EXPECT_HAS(parse_error(c), "magic '\\x7fELF'");
}

TEST(GgufReaderBadInput, TruncatedHeader) {
  Bytes b;
  b.raw("GG", 2);
  EXPECT_HAS(parse_error(b), "truncated header: file has 2 bytes");
  Bytes c;
  c.raw("GGUF", 4).u32(3).u32(0);  // tensor count cut in half
  EXPECT_HAS(parse_error(c), "truncated: header tensor count at offset 8 needs 8 bytes but the file has 4 left");
}

TEST(GgufReaderBadInput, UnsupportedVersion) {
  Bytes b;
  b.header(1, 0, 0);
  EXPECT_HAS(parse_error(b), "GGUF version 1 is not supported");
  Bytes c;
  c.header(0x03000000, 0, 0);
  EXPECT_HAS(parse_error(c), "looks byte-swapped");
  Bytes d;
  d.header(9, 0, 0);
  EXPECT_HAS(parse_error(d), "unsupported GGUF version 9");
}

TEST(GgufReaderBadInput, AbsurdCounts) {
  Bytes b;
  b.header(3, std::numeric_limits<uint64_t>::max(), 0);
  EXPECT_HAS(parse_error(b), "header tensor count 18446744073709551615 is impossible: only 0 bytes follow");
  Bytes c;
  c.header(3, 0, 1ull << 40).u64(0);
  EXPECT_HAS(parse_error(c), "header metadata count 1099511627776 is impossible");
}

TEST(GgufReaderBadInput, HugeStringLength) {
  Bytes b;
  b.header(3, 0, 1).u64(1ull << 62).raw("abcdefgh", 8);
  EXPECT_HAS(parse_error(b), "metadata key #0 has length 4611686018427387904 at offset 24 but only 8 bytes are left");
}

TEST(GgufReaderBadInput, HugeArrayCount) {
  Bytes b;
  b.header(3, 0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8).u64(1ull << 60).str("x");
  EXPECT_HAS(parse_error(b), "metadata 'tokenizer.ggml.tokens' claims 1152921504606846976 elements of string");
}

TEST(GgufReaderBadInput, UnknownValueType) {
  Bytes b;
  b.header(3, 0, 1).str("k").u32(13).u32(0);
  EXPECT_HAS(parse_error(b), "metadata 'k' has unknown value type 13");
  Bytes c;
  c.header(3, 0, 1).str("k").u32(9).u32(77).u64(0);
  EXPECT_HAS(parse_error(c), "metadata 'k' is an array of unknown value type 77");
}

TEST(GgufReaderBadInput, DuplicateKeyAndTensor) {
  Bytes b;
  b.header(3, 0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  EXPECT_HAS(parse_error(b), "metadata key 'k' appears twice");
  Bytes c;
  c.header(3, 2, 0).tensor_info("t", {4}, 0, 0).tensor_info("t", {4}, 0, 32).pad_to(32);
  c.b.resize(c.b.size() + 64);
  EXPECT_HAS(parse_error(c), "tensor name 't' appears twice");
}

TEST(GgufReaderBadInput, ArraysNestedTooDeep) {
  Bytes b;
  b.header(3, 0, 1).str("deep").u32(9);
  for (int k = 0; k < 40; ++k) b.u32(9).u64(1);
  b.u32(4).u64(0);
  EXPECT_HAS(parse_error(b), "metadata 'deep' nests arrays deeper than 16");
}

TEST(GgufReaderBadInput, BadAlignment) {
  Bytes b;
  b.header(3, 0, 1).str("general.alignment").u32(4).u32(24);
  EXPECT_HAS(parse_error(b), "general.alignment = 24 is not a power of two");
  Bytes c;
  c.header(3, 0, 1).str("general.alignment").u32(8).str("32");
  EXPECT_HAS(parse_error(c), "general.alignment is string, expected u32");
}

TEST(GgufReaderBadInput, TensorPointingPastTheEnd) {
  Bytes b = small_file();
  b.b.resize(b.b.size() - 40);  // cut into the Q8_0 tensor's 34 bytes
  EXPECT_HAS(parse_error(b), "tensor 'q' data [offset 192 + 32, 34 bytes] ends past the file size 248");
  // An offset far beyond the file (patched in the second tensor info).
  Bytes c;
  c.header(3, 1, 0).tensor_info("t", {4}, 0, 1ull << 62).pad_to(32);
  EXPECT_HAS(parse_error(c), "tensor 't' data [offset 64 + 4611686018427387904, 16 bytes] ends past the file size 64");
}

TEST(GgufReaderBadInput, BadTensorInfos) {
  auto one = [](std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    Bytes b;
    b.header(3, 1, 0).tensor_info("blk.0.attn_q.weight", std::move(ne), type, offset).pad_to(32);
    b.b.resize(b.b.size() + 256);
    return parse_error(b);
  };
  EXPECT_HAS(one({4}, 99, 0), "tensor 'blk.0.attn_q.weight' has unknown type id 99");
  EXPECT_HAS(one({4, 1, 1, 1, 1}, 0, 0), "has 5 dimensions (at most 4)");
  EXPECT_HAS(one({4, -2}, 0, 0), "dimension 1 is negative (-2)");
  EXPECT_HAS(one({1ll << 40, 1ll << 40}, 0, 0), "has too many elements");
  EXPECT_HAS(one({1ll << 40}, 0, 0), "tensor 'blk.0.attn_q.weight' data [offset 96 + 0, 4398046511104 bytes] ends past");
  EXPECT_HAS(one({20}, 2, 0), "row of 20 elements is not a whole number of Q4_0 blocks of 32");
  EXPECT_HAS(one({4}, 0, 16), "offset 16 is not a multiple of the alignment 32");
}

TEST(GgufReaderBadInput, TruncatedInsideMetadata) {
  const Bytes full = small_file();
  // Every cut inside the header+metadata+infos gives an Error that says "truncated".
  for (size_t n = 4; n < 176; ++n) {
    Bytes b;
    b.b.assign(full.b.begin(), full.b.begin() + long(n));
    const std::string e = parse_error(b);
    EXPECT_TRUE(e.find("truncated") != std::string::npos || e.find("impossible") != std::string::npos ||
                e.find("left") != std::string::npos)
        << "cut at " << n << ": " << e;
  }
}

}  // namespace
}  // namespace tock
