// GGUF files: reading (memory-mapped, validated) and writing (atomic).
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md — see shared/field-notes.md.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace tock {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view gguf_type_name(GgufType t);

// One metadata value. Scalars live in the matching member. An array keeps its element type
// and its elements in the one container that fits them, so that a 49152-entry vocabulary or a
// hostile million-element array costs about what it costs in the file:
//   numbers and bools -> `raw` (packed little-endian, exactly as in the file),
//   strings           -> `strs`,
//   arrays            -> `items` (nested arrays; each item has type ARRAY).
struct GgufValue {
  GgufType type = GgufType::U32;
  uint64_t u = 0;  // U8, U16, U32, U64, BOOL (0 or 1)
  int64_t i = 0;   // I8, I16, I32, I64
  double f = 0;    // F32, F64 (an F32 is held exactly)
  std::string str; // STRING
  GgufType elem_type = GgufType::U8;  // ARRAY
  std::vector<uint8_t> raw;           // ARRAY of numbers/bools
  std::vector<std::string> strs;      // ARRAY of STRING
  std::vector<GgufValue> items;       // ARRAY of ARRAY

  static GgufValue of_u32(uint32_t v);
  static GgufValue of_i32(int32_t v);
  static GgufValue of_u64(uint64_t v);
  static GgufValue of_i64(int64_t v);
  static GgufValue of_f32(float v);
  static GgufValue of_f64(double v);
  static GgufValue of_bool(bool v);
  static GgufValue of_string(std::string v);
  static GgufValue of_strings(std::vector<std::string> v);
  static GgufValue of_f32s(const std::vector<float>& v);
  static GgufValue of_i32s(const std::vector<int32_t>& v);
  // An array of numbers/bools of type `elem` from their packed little-endian bytes.
  static GgufValue of_raw_array(GgufType elem, std::vector<uint8_t> bytes);
  static GgufValue of_arrays(std::vector<GgufValue> arrays);  // each must be an ARRAY

  bool is_integer() const;
  bool is_float() const;
  size_t array_size() const;  // element count of an ARRAY (0 for scalars)
  GgufValue element(size_t k) const;  // element k of an ARRAY as a value of elem_type
  // Conversions that throw Error naming `key` when the value has another type or range.
  int64_t as_int(std::string_view key) const;
  double as_float(std::string_view key) const;  // accepts integers too
  bool as_bool(std::string_view key) const;
  const std::string& as_string(std::string_view key) const;
  const std::vector<std::string>& as_strings(std::string_view key) const;
  std::vector<float> as_floats(std::string_view key) const;    // F32/F64 arrays
  std::vector<int32_t> as_ints(std::string_view key) const;    // integer arrays in int32 range
  bool operator==(const GgufValue&) const = default;
};

// Bytes of one scalar of type t in a GGUF file (0 for STRING and ARRAY).
size_t gguf_scalar_size(GgufType t);

struct GgufTensorInfo {
  std::string name;
  DType type = DType::F32;
  int n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  uint64_t offset = 0;  // relative to the data section
  size_t nbytes = 0;
};

// A GGUF file opened for reading. The file is memory-mapped; tensor data points into it.
// Every count, length, offset and size is checked against the file before use: a
// truncated or hostile file is an Error naming the file and what is wrong.
class GgufFile {
 public:
  static GgufFile open(const std::string& path);
  // Parses an in-memory image (used by the fuzzer and tests); `bytes` must outlive the file.
  static GgufFile parse(const uint8_t* bytes, size_t size, std::string name = "<memory>");

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  size_t file_size() const { return size_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  // True when the bytes are the file's read-only private mapping (open()), whose pages the kernel
  // may drop (madvise) and read again from the file; false for parse()'s caller-owned image.
  bool mapped() const { return mapping_ != nullptr; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  const GgufValue& get(std::string_view key) const;  // throws: "<path>: missing metadata key 'k'"
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters with a default when absent; throw when present with a wrong type.
  int64_t get_int(std::string_view key, std::optional<int64_t> fallback = std::nullopt) const;
  double get_float(std::string_view key, std::optional<double> fallback = std::nullopt) const;
  std::string get_string(std::string_view key, std::optional<std::string> fallback = std::nullopt) const;
  bool get_bool(std::string_view key, std::optional<bool> fallback = std::nullopt) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // A view of a tensor's bytes in the mapping; throws naming the tensor when absent.
  TensorView tensor(std::string_view name) const;
  TensorView view(const GgufTensorInfo& info) const;

 private:
  GgufFile() = default;
  void parse_all();

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // owned mmap region (nullptr for parse())
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Builds a GGUF v3 file: metadata then tensors, each tensor's data aligned, offsets the running
// sum (as llama.cpp's reader requires). write() is atomic: temp file, fsync, rename.
class GgufWriter {
 public:
  void set(std::string key, GgufValue value);  // replaces an existing key, keeps order
  // Adds a tensor; `data` is copied and must hold row_bytes(type, ne[0]) * rows bytes.
  // ne is innermost-first (ggml order), 1 to 4 dimensions; names are unique and < 64 bytes
  // (ggml's GGML_MAX_NAME, so that other GGUF tools can load the file).
  void add_tensor(std::string name, DType type, std::vector<int64_t> ne, const void* data,
                  size_t nbytes);
  // Same without the copy: `data` must stay valid until the last write()/to_bytes().
  void add_tensor_view(std::string name, DType type, std::vector<int64_t> ne, const void* data,
                       size_t nbytes);
  void write(const std::string& path) const;
  std::vector<uint8_t> to_bytes() const;

 private:
  struct Tensor {
    std::string name;
    DType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> owned;  // the copy made by add_tensor (empty for add_tensor_view)
    const uint8_t* data = nullptr;
    size_t nbytes = 0;
  };
  void check_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                    size_t nbytes) const;
  uint64_t alignment() const;
  template <typename Sink>
  void emit(Sink& sink) const;

  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace tock
