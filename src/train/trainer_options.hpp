// TrainOptions to and from JSON: the checkpoint keeps a run's options so --resume needs only
// the directory, and --config FILE.json gives the model shape and batch as data.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "train/trainer.hpp"

namespace tock {

nlohmann::ordered_json options_to_json(const TrainOptions& o);
TrainOptions options_from_json(const nlohmann::ordered_json& j);

// Reads FILE.json: an object with any of arch, layers, dim, heads, kv_heads, ff, seq, vocab,
// batch. Sizes already set in `o` (given as flags) win. Error naming the file and key on an
// unknown key or a value of the wrong type.
void apply_config_file(TrainOptions& o, const std::string& path);

}  // namespace tock
