// GGUF reader: maps the file and parses header, metadata and tensor infos, validating every
// count, length, offset and size against the bytes that are really there before using it.
// A truncated, corrupted or hostile file is an Error naming the file, the field and the value;
// never a crash, a hang (every loop consumes bytes) or an allocation far beyond the file size.
// Deliberately not here: dequantization (kernels/dequant.hpp), writing (gguf_writer.cpp).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

constexpr int kMaxArrayDepth = 16;              // nested arrays; real files use 1
constexpr uint64_t kMaxMetadataMemory = 1ull << 30;  // decoded metadata, bytes (vocabularies are ~10 MB)
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;     // empty key, type, one-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, n_dims 0, type, offset

// Reads little-endian fields from [base, base+size), failing with the field's name when the
// bytes run out. `pos` only grows, so every loop over a count ends.
class Cursor {
 public:
  Cursor(const uint8_t* base, size_t size, const std::string& file)
      : base_(base), size_(size), file_(file) {}

  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }

  void need(uint64_t n, std::string_view what) const {
    if (n > left())
      fail("gguf: ", file_, ": truncated: ", what, " at offset ", pos_, " needs ", n,
           " bytes but the file has ", left(), " left (file size ", size_, ")");
  }

  template <typename T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T x;
    std::memcpy(&x, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return x;
  }

  const uint8_t* take(uint64_t n, std::string_view what) {
    need(n, what);
    const uint8_t* p = base_ + pos_;
    pos_ += size_t(n);
    return p;
  }

  std::string read_string(std::string_view what) {
    const uint64_t n = read<uint64_t>(what);
    if (n > left())
      fail("gguf: ", file_, ": ", what, " has length ", n, " at offset ", pos_ - 8,
           " but only ", left(), " bytes are left in the file");
    const uint8_t* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), size_t(n));
  }

 private:
  const uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& file_;
};

bool valid_value_type(uint32_t t) { return t <= uint32_t(GgufType::F64); }

// Parses metadata values, charging what they will cost in memory against one budget.
class ValueParser {
 public:
  ValueParser(Cursor& cur, const std::string& file) : cur_(cur), file_(file) {}

  GgufValue value(GgufType type, const std::string& key, int depth) {
    GgufValue v;
    v.type = type;
    charge(sizeof(GgufValue), key);
    switch (type) {
      case GgufType::U8: v.u = cur_.read<uint8_t>(what(key)); break;
      case GgufType::I8: v.i = cur_.read<int8_t>(what(key)); break;
      case GgufType::U16: v.u = cur_.read<uint16_t>(what(key)); break;
      case GgufType::I16: v.i = cur_.read<int16_t>(what(key)); break;
      case GgufType::U32: v.u = cur_.read<uint32_t>(what(key)); break;
      case GgufType::I32: v.i = cur_.read<int32_t>(what(key)); break;
      case GgufType::U64: v.u = cur_.read<uint64_t>(what(key)); break;
      case GgufType::I64: v.i = cur_.read<int64_t>(what(key)); break;
      case GgufType::F32: v.f = cur_.read<float>(what(key)); break;
      case GgufType::F64: v.f = cur_.read<double>(what(key)); break;
      case GgufType::BOOL: v.u = cur_.read<uint8_t>(what(key)) != 0; break;
      case GgufType::STRING:
        v.str = cur_.read_string(what(key));
        charge(v.str.size(), key);
        break;
      case GgufType::ARRAY: array(v, key, depth); break;
    }
    return v;
  }

 private:
  void array(GgufValue& v, const std::string& key, int depth) {
    if (depth >= kMaxArrayDepth)
      fail("gguf: ", file_, ": metadata '", key, "' nests arrays deeper than ", kMaxArrayDepth);
    const size_t at = cur_.pos();
    const uint32_t et = cur_.read<uint32_t>(what(key, " element type"));
    if (!valid_value_type(et))
      fail("gguf: ", file_, ": metadata '", key, "' is an array of unknown value type ", et,
           " (at offset ", at, ")");
    v.elem_type = GgufType(et);
    const uint64_t n = cur_.read<uint64_t>(what(key, " element count"));
    // The smallest encoding of one element: its scalar size, 8 for a string length, 12 for a
    // nested array header. More elements than that allows cannot be in the file.
    const uint64_t esize = gguf_scalar_size(v.elem_type);
    const uint64_t min_bytes = esize ? esize : (v.elem_type == GgufType::STRING ? 8 : 12);
    if (n > cur_.left() / min_bytes)
      fail("gguf: ", file_, ": metadata '", key, "' claims ", n, " elements of ",
           gguf_type_name(v.elem_type), " but only ", cur_.left(), " bytes are left in the file");
    if (esize) {
      const uint8_t* p = cur_.take(n * esize, what(key));
      charge(n * esize, key);
      v.raw.assign(p, p + n * esize);
      if (v.elem_type == GgufType::BOOL)
        for (auto& b : v.raw) b = b != 0;
    } else if (v.elem_type == GgufType::STRING) {
      charge(n * sizeof(std::string), key);
      v.strs.reserve(size_t(n));
      for (uint64_t k = 0; k < n; ++k) {
        v.strs.push_back(cur_.read_string(what(key, " element")));
        charge(v.strs.back().size(), key);
      }
    } else {
      v.items.reserve(size_t(n));
      for (uint64_t k = 0; k < n; ++k) {
        charge(sizeof(GgufValue), key);
        GgufValue item;
        item.type = GgufType::ARRAY;
        array(item, key, depth + 1);
        v.items.push_back(std::move(item));
      }
    }
  }

  void charge(uint64_t bytes, const std::string& key) {
    used_ += bytes;
    if (used_ > kMaxMetadataMemory)
      fail("gguf: ", file_, ": metadata needs more than ", kMaxMetadataMemory >> 20,
           " MiB of memory (at key '", key, "'); refusing the file");
  }

  static std::string what(const std::string& key, std::string_view part = " value") {
    return cat("metadata '", key, "'", part);
  }

  Cursor& cur_;
  const std::string& file_;
  uint64_t used_ = 0;
};

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

GgufFile GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("gguf: ", path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail("gguf: ", path, ": cannot stat: ", std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("gguf: ", path, ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    fail("gguf: ", path, ": empty file (0 bytes), not a GGUF file");
  }
  void* m = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (m == MAP_FAILED) fail("gguf: ", path, ": cannot map ", st.st_size, " bytes: ", std::strerror(err));

  GgufFile f;
  f.path_ = path;
  f.mapping_ = m;
  f.base_ = static_cast<const uint8_t*>(m);
  f.size_ = size_t(st.st_size);
  f.parse_all();  // on throw, f's destructor unmaps
  return f;
}

GgufFile GgufFile::parse(const uint8_t* bytes, size_t size, std::string name) {
  GgufFile f;
  f.path_ = std::move(name);
  f.base_ = bytes;
  f.size_ = size;
  f.parse_all();
  return f;
}

GgufFile::GgufFile(GgufFile&& o) noexcept { *this = std::move(o); }

GgufFile& GgufFile::operator=(GgufFile&& o) noexcept {
  if (this != &o) {
    if (mapping_) ::munmap(mapping_, size_);
    path_ = std::move(o.path_);
    base_ = o.base_;
    size_ = o.size_;
    mapping_ = o.mapping_;
    version_ = o.version_;
    alignment_ = o.alignment_;
    data_offset_ = o.data_offset_;
    kv_ = std::move(o.kv_);
    kv_index_ = std::move(o.kv_index_);
    tensors_ = std::move(o.tensors_);
    tensor_index_ = std::move(o.tensor_index_);
    o.mapping_ = nullptr;
    o.base_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

GgufFile::~GgufFile() {
  if (mapping_) ::munmap(mapping_, size_);
}

void GgufFile::parse_all() {
  const std::string& P = path_;
  Cursor cur(base_, size_, P);

  // Header: magic, version, tensor count, metadata count.
  if (size_ < 4) fail("gguf: ", P, ": truncated header: file has ", size_, " bytes, too short for the magic");
  if (std::memcmp(base_, "GGUF", 4) != 0) {
    std::string shown;
    for (int k = 0; k < 4; ++k) {
      const uint8_t c = base_[k];
      shown += (c >= 0x20 && c < 0x7f) ? std::string(1, char(c)) : cat("\\x", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    }
    fail("gguf: ", P, ": not a GGUF file (magic '", shown, "', expected 'GGUF')");
  }
  cur.take(4, "magic");
  version_ = cur.read<uint32_t>("header version");
  if (version_ != 2 && version_ != 3) {
    if (version_ == 1) fail("gguf: ", P, ": GGUF version 1 is not supported (Tock reads versions 2 and 3)");
    if ((version_ & 0xffff) == 0)
      fail("gguf: ", P, ": GGUF version ", version_, " looks byte-swapped: big-endian files are not supported");
    fail("gguf: ", P, ": unsupported GGUF version ", version_, " (Tock reads versions 2 and 3)");
  }
  const uint64_t n_tensors = cur.read<uint64_t>("header tensor count");
  const uint64_t n_kv = cur.read<uint64_t>("header metadata count");
  if (n_kv > cur.left() / kMinKvBytes)
    fail("gguf: ", P, ": header metadata count ", n_kv, " is impossible: only ", cur.left(),
         " bytes follow the header");
  if (n_tensors > cur.left() / kMinTensorInfoBytes)
    fail("gguf: ", P, ": header tensor count ", n_tensors, " is impossible: only ", cur.left(),
         " bytes follow the header");

  // Metadata.
  ValueParser values(cur, P);
  kv_.reserve(size_t(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = cur.read_string(cat("metadata key #", k));
    const size_t at = cur.pos();
    const uint32_t t = cur.read<uint32_t>(cat("metadata '", key, "' value type"));
    if (!valid_value_type(t))
      fail("gguf: ", P, ": metadata '", key, "' has unknown value type ", t, " (at offset ", at, ")");
    if (kv_index_.count(key)) fail("gguf: ", P, ": metadata key '", key, "' appears twice");
    GgufValue v = values.value(GgufType(t), key, 0);
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(std::move(key), std::move(v));
  }

  alignment_ = 32;
  if (const GgufValue* a = find("general.alignment")) {
    if (!a->is_integer())
      fail("gguf: ", P, ": general.alignment is ", gguf_type_name(a->type), ", expected u32");
    const int64_t al = a->as_int("general.alignment");
    if (al <= 0 || (al & (al - 1)) != 0 || al > (int64_t(1) << 30))
      fail("gguf: ", P, ": general.alignment = ", al, " is not a power of two (up to 2^30)");
    alignment_ = uint64_t(al);
  }

  // Tensor infos.
  tensors_.reserve(size_t(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo ti;
    ti.name = cur.read_string(cat("tensor #", k, " name"));
    const std::string& N = ti.name;
    const uint32_t n_dims = cur.read<uint32_t>(cat("tensor '", N, "' n_dims"));
    if (n_dims > 4) fail("gguf: ", P, ": tensor '", N, "' has ", n_dims, " dimensions (at most 4)");
    ti.n_dims = int(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      const int64_t ne = cur.read<int64_t>(cat("tensor '", N, "' dimension ", d));
      if (ne < 0) fail("gguf: ", P, ": tensor '", N, "' dimension ", d, " is negative (", ne, ")");
      ti.ne[d] = ne;
    }
    const uint32_t type_id = cur.read<uint32_t>(cat("tensor '", N, "' type"));
    ti.offset = cur.read<uint64_t>(cat("tensor '", N, "' offset"));

    const DTypeInfo* info = dtype_info(type_id);
    if (!info) fail("gguf: ", P, ": tensor '", N, "' has unknown type id ", type_id);
    ti.type = DType(type_id);
    // Element count and byte size, guarding each product against overflow.
    uint64_t n_el = 1;
    for (int d = 0; d < 4; ++d) {
      const uint64_t ne = uint64_t(ti.ne[d]);
      if (ne != 0 && n_el > uint64_t(std::numeric_limits<int64_t>::max()) / ne)
        fail("gguf: ", P, ": tensor '", N, "' shape [", ti.ne[0], ", ", ti.ne[1], ", ", ti.ne[2],
             ", ", ti.ne[3], "] has too many elements");
      n_el *= ne;
    }
    if (ti.ne[0] % info->block_size != 0)
      fail("gguf: ", P, ": tensor '", N, "' row of ", ti.ne[0], " elements is not a whole number of ",
           info->name, " blocks of ", info->block_size);
    const uint64_t n_blocks = n_el / uint64_t(info->block_size);
    if (n_blocks > std::numeric_limits<uint64_t>::max() / info->block_bytes)
      fail("gguf: ", P, ": tensor '", N, "' (", info->name, ", ", n_el, " elements) has too many bytes");
    ti.nbytes = size_t(n_blocks * info->block_bytes);  // checked against the file below
    if (ti.offset % alignment_ != 0)
      fail("gguf: ", P, ": tensor '", N, "' offset ", ti.offset, " is not a multiple of the alignment ",
           alignment_);
    if (tensor_index_.count(N)) fail("gguf: ", P, ": tensor name '", N, "' appears twice");
    tensor_index_.emplace(N, tensors_.size());
    tensors_.push_back(std::move(ti));
  }

  // Data section: the first aligned offset after the infos; every tensor must lie inside the file.
  data_offset_ = align_up(cur.pos(), alignment_);
  for (const auto& ti : tensors_) {
    if (data_offset_ > size_ || ti.offset > size_ - data_offset_ || ti.nbytes > size_ - data_offset_ - ti.offset)
      fail("gguf: ", P, ": tensor '", ti.name, "' data [offset ", data_offset_, " + ", ti.offset, ", ",
           ti.nbytes, " bytes] ends past the file size ", size_);
  }
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufValue& GgufFile::get(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) fail("gguf: ", path_, ": missing metadata key '", key, "'");
  return *v;
}

int64_t GgufFile::get_int(std::string_view key, std::optional<int64_t> fallback) const {
  const GgufValue* v = find(key);
  if (!v) {
    if (fallback) return *fallback;
    fail("gguf: ", path_, ": missing metadata key '", key, "'");
  }
  return v->as_int(key);
}

double GgufFile::get_float(std::string_view key, std::optional<double> fallback) const {
  const GgufValue* v = find(key);
  if (!v) {
    if (fallback) return *fallback;
    fail("gguf: ", path_, ": missing metadata key '", key, "'");
  }
  return v->as_float(key);
}

std::string GgufFile::get_string(std::string_view key, std::optional<std::string> fallback) const {
  const GgufValue* v = find(key);
  if (!v) {
    if (fallback) return *fallback;
    fail("gguf: ", path_, ": missing metadata key '", key, "'");
  }
  return v->as_string(key);
}

bool GgufFile::get_bool(std::string_view key, std::optional<bool> fallback) const {
  const GgufValue* v = find(key);
  if (!v) {
    if (fallback) return *fallback;
    fail("gguf: ", path_, ": missing metadata key '", key, "'");
  }
  return v->as_bool(key);
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

TensorView GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* ti = find_tensor(name);
  if (!ti) fail("gguf: ", path_, ": no tensor named '", name, "'");
  return view(*ti);
}

TensorView GgufFile::view(const GgufTensorInfo& info) const {
  TensorView t;
  t.name = info.name;
  t.type = info.type;
  t.n_dims = info.n_dims;
  t.ne = info.ne;
  t.data = base_ + data_offset_ + info.offset;
  t.nbytes = info.nbytes;
  return t;
}

}  // namespace tock
