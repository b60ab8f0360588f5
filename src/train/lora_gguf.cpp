#include "train/lora_gguf.hpp"

#include <cstring>

#include "core/error.hpp"
#include "io/gguf.hpp"

namespace tock {
namespace {

std::string tensor_name(int64_t l, LlamaLora::Part part) {
  static const char* const kNames[] = {"attn_q.lora_a", "attn_q.lora_b", "attn_v.lora_a",
                                       "attn_v.lora_b"};
  std::string s = "blk.";
  s.append(std::to_string(l)).append(".").append(kNames[part]);
  return s;
}
constexpr LlamaLora::Part kAllParts[] = {LlamaLora::kQA, LlamaLora::kQB, LlamaLora::kVA,
                                         LlamaLora::kVB};

}  // namespace

void save_lora(const LlamaLora& lora, const std::string& path) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("tock-lora"));
  w.set("adapter.type", GgufValue::of_string("lora"));
  w.set("adapter.lora.rank", GgufValue::of_i64(lora.rank()));
  w.set("adapter.lora.alpha", GgufValue::of_f32(lora.alpha()));
  w.set("adapter.lora.n_layer", GgufValue::of_i64(lora.n_layer()));
  for (int64_t l = 0; l < lora.n_layer(); ++l)
    for (auto part : kAllParts) {
      const auto s = lora.shape(part);
      w.add_tensor(tensor_name(l, part), DType::F32, {s[1], s[0]}, lora.param(l, part),
                   size_t(s[0] * s[1]) * sizeof(float));
    }
  w.write(path);
}

std::unique_ptr<LlamaLora> load_lora(const std::string& path, const LlamaTrainConfig& config) {
  const GgufFile f = GgufFile::open(path);
  if (f.get_string("adapter.type", std::string()) != "lora")
    fail(path, ": adapter.type is '", f.get_string("adapter.type", std::string()),
         "', not 'lora'");
  const int64_t L = f.get_int("adapter.lora.n_layer");
  if (L != config.n_layer)
    fail(path, ": adapter.lora.n_layer ", L, " but the model has ", config.n_layer, " layers");
  auto lora = std::make_unique<LlamaLora>(config, f.get_int("adapter.lora.rank"),
                                          float(f.get_float("adapter.lora.alpha")), 0);
  for (int64_t l = 0; l < L; ++l)
    for (auto part : kAllParts) {
      const std::string name = tensor_name(l, part);
      const TensorView t = f.tensor(name);
      const auto s = lora->shape(part);
      if (t.type != DType::F32 || t.ne[0] != s[1] || t.ne[1] != s[0] || t.ne[2] != 1)
        fail(path, ": tensor ", name, " must be f32 of ", s[0], " x ", s[1], " (rank x in or out x rank)");
      std::memcpy(lora->param(l, part), t.data, size_t(s[0] * s[1]) * sizeof(float));
    }
  return lora;
}

}  // namespace tock
