// The architectures `tock train` can build, behind one table: the shape of a model, the memory
// training it will take (checked before anything is allocated), building it, and exporting it
// as GGUF. The training loop itself only sees TrainModel (train_model.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "train/train_model.hpp"

namespace tock {

class GgufFile;

// Sizes of a model. 0 = not given (filled from the config file, then defaults).
struct ModelShape {
  std::string arch;      // gpt2 | llama
  int64_t layers = 0;    // L
  int64_t dim = 0;       // C
  int64_t heads = 0;     // NH
  int64_t kv_heads = 0;  // llama (GQA); gpt2: = heads
  int64_t ff = 0;        // feed-forward width; gpt2: 4C
  int64_t seq = 0;       // T, the context length trained (and exported)
  int64_t vocab = 0;     // V, the tokenizer's
};

// Fills the sizes still 0 with the defaults (gpt2, 4 layers, dim 128, 4 heads, seq 128; ff 4C
// for gpt2, 8C/3 rounded up to 32 for llama; kv_heads = heads) and checks them for the architecture; Error naming the flag otherwise.
void complete_shape(ModelShape& s);

struct MemoryEstimate {
  int64_t params = 0;            // parameter count
  int64_t state_bytes = 0;       // parameters, gradients, AdamW m and v: 16 bytes per parameter
  int64_t activation_bytes = 0;  // forward + backward at (B, T)
  int64_t total() const { return state_bytes + activation_bytes; }
};
MemoryEstimate estimate_memory(const ModelShape& s, int64_t B, int64_t T);
// Error (with the estimate) when the estimate exceeds MemAvailable of /proc/meminfo.
void check_fits_in_memory(const MemoryEstimate& e, int64_t B, int64_t T);

std::unique_ptr<TrainModel> make_train_model(const ModelShape& s, uint64_t seed);
// A pretrained llama-arch GGUF (--init), dequantized to f32; fills s from it (keeps s.seq,
// default min(context, 128)).
std::unique_ptr<TrainModel> load_train_model(const std::string& path, ModelShape& s);
// Writes the model and the tokenizer's tokenizer.* keys to `path` (atomically).
void export_train_model(TrainModel& model, const ModelShape& s, const GgufFile& tokenizer,
                        const std::string& path);

}  // namespace tock
