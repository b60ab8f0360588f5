#include "train/trainer_options.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace tock {

nlohmann::ordered_json options_to_json(const TrainOptions& o) {
  const ModelShape& s = o.shape;
  return {
      {"data_dir", o.data_dir}, {"tokenizer", o.tokenizer}, {"config_file", o.config_file},
      {"out_dir", o.out_dir}, {"init_model", o.init_model},
      {"arch", s.arch}, {"layers", s.layers}, {"dim", s.dim}, {"heads", s.heads},
      {"kv_heads", s.kv_heads}, {"ff", s.ff}, {"seq", s.seq}, {"vocab", s.vocab},
      {"batch", o.batch}, {"steps", o.steps}, {"lr", o.lr}, {"min_lr", o.min_lr},
      {"warmup", o.warmup}, {"schedule", o.schedule}, {"grad_accum", o.grad_accum},
      {"weight_decay", o.weight_decay}, {"clip", o.clip}, {"seed", o.seed},
      {"eval_every", o.eval_every}, {"eval_batches", o.eval_batches},
      {"sample_every", o.sample_every}, {"sample_tokens", o.sample_tokens},
      {"sample_temp", o.sample_temp}, {"checkpoint_every", o.checkpoint_every},
  };
}

TrainOptions options_from_json(const nlohmann::ordered_json& j) {
  TrainOptions o;
  ModelShape& s = o.shape;
  auto get = [&](const char* key, auto& field) {
    if (!j.contains(key)) fail("checkpoint options: missing '", key, "'");
    field = j[key].get<std::remove_reference_t<decltype(field)>>();
  };
  get("data_dir", o.data_dir);
  get("tokenizer", o.tokenizer);
  get("config_file", o.config_file);
  get("out_dir", o.out_dir);
  get("init_model", o.init_model);
  get("arch", s.arch);
  get("layers", s.layers);
  get("dim", s.dim);
  get("heads", s.heads);
  get("kv_heads", s.kv_heads);
  get("ff", s.ff);
  get("seq", s.seq);
  get("vocab", s.vocab);
  get("batch", o.batch);
  get("steps", o.steps);
  get("lr", o.lr);
  get("min_lr", o.min_lr);
  get("warmup", o.warmup);
  get("schedule", o.schedule);
  get("grad_accum", o.grad_accum);
  get("weight_decay", o.weight_decay);
  get("clip", o.clip);
  get("seed", o.seed);
  get("eval_every", o.eval_every);
  get("eval_batches", o.eval_batches);
  get("sample_every", o.sample_every);
  get("sample_tokens", o.sample_tokens);
  get("sample_temp", o.sample_temp);
  get("checkpoint_every", o.checkpoint_every);
  return o;
}

void apply_config_file(TrainOptions& o, const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("--config: cannot open '", path, "'");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const std::exception& e) {
    fail("--config: '", path, "' is not valid JSON: ", e.what());
  }
  if (!j.is_object()) fail("--config: '", path, "' must hold a JSON object");
  ModelShape& s = o.shape;
  for (const auto& [key, value] : j.items()) {
    if (key == "arch") {
      if (!value.is_string()) fail("--config: '", path, "': 'arch' must be a string");
      if (s.arch.empty()) s.arch = value.get<std::string>();
      continue;
    }
    int64_t* field = key == "layers" ? &s.layers : key == "dim" ? &s.dim : key == "heads" ? &s.heads
                   : key == "kv_heads" ? &s.kv_heads : key == "ff" ? &s.ff : key == "seq" ? &s.seq
                   : key == "vocab" ? &s.vocab : key == "batch" ? &o.batch : nullptr;
    if (!field)
      fail("--config: '", path, "': unknown key '", key, "' (arch, layers, dim, heads, kv_heads, ff, seq, vocab, batch)");
    if (!value.is_number_integer() || value.get<int64_t>() < 1)
      fail("--config: '", path, "': '", key, "' must be a positive integer, got ", value.dump());
    if (*field == 0) *field = value.get<int64_t>();
  }
}

}  // namespace tock
