#include "io/gguf_summary.hpp"

#include <charconv>
#include <map>

#include "core/error.hpp"

namespace tock {

std::string gguf_value_text(const GgufValue& v) {
  switch (v.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64:
      return std::to_string(v.u);
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return std::to_string(v.i);
    case GgufType::F32: case GgufType::F64: {
      // Shortest round-trip text, plain digits when that is short (100000, not 1e+05).
      char buf[512];
      auto shortest = [&](std::chars_format fmt) {
        const auto r = v.type == GgufType::F32 ? std::to_chars(buf, buf + sizeof buf, float(v.f), fmt)
                                               : std::to_chars(buf, buf + sizeof buf, v.f, fmt);
        return std::string(buf, r.ptr);
      };
      std::string fixed = shortest(std::chars_format::fixed);
      return fixed.size() <= 12 ? fixed : shortest(std::chars_format::general);
    }
    case GgufType::BOOL: return v.u ? "true" : "false";
    case GgufType::STRING: return v.str;
    case GgufType::ARRAY: return cat("[", v.array_size(), " x ", gguf_type_name(v.elem_type), "]");
  }
  return "?";
}

GgufSummary summarize(const GgufFile& f) {
  GgufSummary s;
  s.path = f.path();
  s.file_size = f.file_size();
  s.version = f.version();
  if (const GgufValue* v = f.find("general.name"); v && v->type == GgufType::STRING) s.name = v->str;
  if (const GgufValue* v = f.find("general.architecture"); v && v->type == GgufType::STRING)
    s.architecture = v->str;
  if (!s.architecture.empty()) {
    const std::string prefix = s.architecture + ".";
    for (const auto& [key, value] : f.metadata())
      if (key.starts_with(prefix) && value.type != GgufType::ARRAY)
        s.hparams.emplace_back(key.substr(prefix.size()), gguf_value_text(value));
  }
  if (const GgufValue* v = f.find("tokenizer.ggml.model"); v && v->type == GgufType::STRING)
    s.tokenizer_model = v->str;
  if (const GgufValue* v = f.find("tokenizer.ggml.pre"); v && v->type == GgufType::STRING)
    s.tokenizer_pre = v->str;
  if (const GgufValue* v = f.find("tokenizer.ggml.tokens")) s.vocab_size = int64_t(v->array_size());
  if (const GgufValue* v = f.find("tokenizer.ggml.merges")) s.merges = int64_t(v->array_size());
  if (const GgufValue* v = f.find("tokenizer.chat_template"); v && v->type == GgufType::STRING) {
    s.has_chat_template = true;
    s.chat_template_chars = v->str.size();
  }

  std::map<uint32_t, GgufSummary::TypeCount> by_type;
  for (const auto& t : f.tensors()) {
    auto& c = by_type[uint32_t(t.type)];
    c.type = std::string(dtype_name(t.type));
    const int64_t n = t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    c.tensors += 1;
    c.elements += n;
    c.bytes += t.nbytes;
    s.n_params += n;
    s.tensor_bytes += t.nbytes;
  }
  s.n_tensors = int64_t(f.tensors().size());
  for (auto& [id, c] : by_type) s.by_type.push_back(c);
  return s;
}

}  // namespace tock
