// A training checkpoint: everything a run needs to continue exactly where it stopped.
// One file, written atomically (temp file, fsync, rename), so a crash or kill -9 leaves the
// previous checkpoint or the new one whole:
//   "TOCKCKPT" (8 bytes), version u32, header length u32, header (JSON text), zero padding to
//   a multiple of 8 bytes, then three f32 blocks of num_params values each: the parameters,
//   AdamW's first moments m and its second moments v (in the parameter block's order).
// The JSON header holds the run's options (the model shape, the data and tokenizer paths,
// the schedule...), the step, AdamW's step count, the data loader state, the trainer's RNG
// state and the length of log.jsonl at that step (see trainer.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tock {

struct Checkpoint {
  nlohmann::ordered_json header;  // free-form state (the trainer decides the keys)
  int64_t num_params = 0;
  std::vector<float> params, m, v;  // each num_params
};

void write_checkpoint(const std::string& path, const nlohmann::ordered_json& header,
                      const float* params, const float* m, const float* v, int64_t num_params);
// Error naming the file on a bad magic, version, header or size.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace tock
