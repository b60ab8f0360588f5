// GGUF metadata values: constructors, typed accessors and element access.
// The reader and writer live in gguf_reader.cpp and gguf_writer.cpp.
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "unknown";
}

size_t gguf_scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::STRING: case GgufType::ARRAY: return 0;
  }
  return 0;
}

namespace {

GgufValue make(GgufType t) {
  GgufValue v;
  v.type = t;
  return v;
}

template <typename T>
GgufValue packed(GgufType elem, const std::vector<T>& xs) {
  GgufValue v = make(GgufType::ARRAY);
  v.elem_type = elem;
  v.raw.resize(xs.size() * sizeof(T));
  if (!xs.empty()) std::memcpy(v.raw.data(), xs.data(), v.raw.size());  // little-endian host
  return v;
}

template <typename T>
T load(const uint8_t* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}

}  // namespace

GgufValue GgufValue::of_u32(uint32_t v) { GgufValue r = make(GgufType::U32); r.u = v; return r; }
GgufValue GgufValue::of_i32(int32_t v) { GgufValue r = make(GgufType::I32); r.i = v; return r; }
GgufValue GgufValue::of_u64(uint64_t v) { GgufValue r = make(GgufType::U64); r.u = v; return r; }
GgufValue GgufValue::of_i64(int64_t v) { GgufValue r = make(GgufType::I64); r.i = v; return r; }
GgufValue GgufValue::of_f32(float v) { GgufValue r = make(GgufType::F32); r.f = v; return r; }
GgufValue GgufValue::of_f64(double v) { GgufValue r = make(GgufType::F64); r.f = v; return r; }
GgufValue GgufValue::of_bool(bool v) { GgufValue r = make(GgufType::BOOL); r.u = v; return r; }

GgufValue GgufValue::of_string(std::string v) {
  GgufValue r = make(GgufType::STRING);
  r.str = std::move(v);
  return r;
}

GgufValue GgufValue::of_strings(std::vector<std::string> v) {
  GgufValue r = make(GgufType::ARRAY);
  r.elem_type = GgufType::STRING;
  r.strs = std::move(v);
  return r;
}

GgufValue GgufValue::of_f32s(const std::vector<float>& v) { return packed(GgufType::F32, v); }
GgufValue GgufValue::of_i32s(const std::vector<int32_t>& v) { return packed(GgufType::I32, v); }

GgufValue GgufValue::of_raw_array(GgufType elem, std::vector<uint8_t> bytes) {
  const size_t esize = gguf_scalar_size(elem);
  if (esize == 0) fail("gguf: of_raw_array needs a number or bool element type, not ", gguf_type_name(elem));
  if (bytes.size() % esize != 0)
    fail("gguf: ", bytes.size(), " bytes are not a whole number of ", gguf_type_name(elem), " elements");
  GgufValue r = make(GgufType::ARRAY);
  r.elem_type = elem;
  r.raw = std::move(bytes);
  return r;
}

GgufValue GgufValue::of_arrays(std::vector<GgufValue> arrays) {
  for (const auto& a : arrays)
    if (a.type != GgufType::ARRAY) fail("gguf: of_arrays given a ", gguf_type_name(a.type), ", not an array");
  GgufValue r = make(GgufType::ARRAY);
  r.elem_type = GgufType::ARRAY;
  r.items = std::move(arrays);
  return r;
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64:
      return true;
    default:
      return false;
  }
}

bool GgufValue::is_float() const { return type == GgufType::F32 || type == GgufType::F64; }

size_t GgufValue::array_size() const {
  if (type != GgufType::ARRAY) return 0;
  if (elem_type == GgufType::STRING) return strs.size();
  if (elem_type == GgufType::ARRAY) return items.size();
  const size_t esize = gguf_scalar_size(elem_type);
  return esize ? raw.size() / esize : 0;
}

GgufValue GgufValue::element(size_t k) const {
  if (type != GgufType::ARRAY) fail("gguf: element(", k, ") of a ", gguf_type_name(type), ", not an array");
  if (k >= array_size()) fail("gguf: element ", k, " of an array of ", array_size());
  if (elem_type == GgufType::STRING) return of_string(strs[k]);
  if (elem_type == GgufType::ARRAY) return items[k];
  const uint8_t* p = raw.data() + k * gguf_scalar_size(elem_type);
  GgufValue r = make(elem_type);
  switch (elem_type) {
    case GgufType::U8: r.u = load<uint8_t>(p); break;
    case GgufType::I8: r.i = load<int8_t>(p); break;
    case GgufType::U16: r.u = load<uint16_t>(p); break;
    case GgufType::I16: r.i = load<int16_t>(p); break;
    case GgufType::U32: r.u = load<uint32_t>(p); break;
    case GgufType::I32: r.i = load<int32_t>(p); break;
    case GgufType::U64: r.u = load<uint64_t>(p); break;
    case GgufType::I64: r.i = load<int64_t>(p); break;
    case GgufType::F32: r.f = load<float>(p); break;
    case GgufType::F64: r.f = load<double>(p); break;
    case GgufType::BOOL: r.u = load<uint8_t>(p) != 0; break;
    default: break;
  }
  return r;
}

int64_t GgufValue::as_int(std::string_view key) const {
  if (!is_integer()) fail("gguf: metadata '", key, "' is ", gguf_type_name(type), ", expected an integer");
  switch (type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64:
      if (u > uint64_t(std::numeric_limits<int64_t>::max()))
        fail("gguf: metadata '", key, "' = ", u, " is out of range");
      return int64_t(u);
    default:
      return i;
  }
}

double GgufValue::as_float(std::string_view key) const {
  if (is_float()) return f;
  if (is_integer()) return type == GgufType::U64 ? double(u) : double(as_int(key));
  fail("gguf: metadata '", key, "' is ", gguf_type_name(type), ", expected a number");
}

bool GgufValue::as_bool(std::string_view key) const {
  if (type != GgufType::BOOL) fail("gguf: metadata '", key, "' is ", gguf_type_name(type), ", expected bool");
  return u != 0;
}

const std::string& GgufValue::as_string(std::string_view key) const {
  if (type != GgufType::STRING)
    fail("gguf: metadata '", key, "' is ", gguf_type_name(type), ", expected string");
  return str;
}

const std::vector<std::string>& GgufValue::as_strings(std::string_view key) const {
  if (type != GgufType::ARRAY || elem_type != GgufType::STRING)
    fail("gguf: metadata '", key, "' is ", gguf_type_name(type),
         type == GgufType::ARRAY ? cat(" of ", gguf_type_name(elem_type)) : std::string(),
         ", expected array of string");
  return strs;
}

std::vector<float> GgufValue::as_floats(std::string_view key) const {
  if (type != GgufType::ARRAY || (elem_type != GgufType::F32 && elem_type != GgufType::F64))
    fail("gguf: metadata '", key, "' is ", gguf_type_name(type),
         type == GgufType::ARRAY ? cat(" of ", gguf_type_name(elem_type)) : std::string(),
         ", expected array of f32");
  std::vector<float> out(array_size());
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = elem_type == GgufType::F32 ? load<float>(raw.data() + 4 * k)
                                        : float(load<double>(raw.data() + 8 * k));
  return out;
}

std::vector<int32_t> GgufValue::as_ints(std::string_view key) const {
  if (type != GgufType::ARRAY || !make(elem_type).is_integer())
    fail("gguf: metadata '", key, "' is ", gguf_type_name(type),
         type == GgufType::ARRAY ? cat(" of ", gguf_type_name(elem_type)) : std::string(),
         ", expected array of integers");
  std::vector<int32_t> out(array_size());
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t x = element(k).as_int(key);
    if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())
      fail("gguf: metadata '", key, "' element ", k, " = ", x, " is out of int32 range");
    out[k] = int32_t(x);
  }
  return out;
}

}  // namespace tock
