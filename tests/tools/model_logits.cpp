// Test tool: runs token ids through a model and writes the logits of every position as raw
// float32 (T, V) for the Python reference checks.
// Usage: model_logits MODEL.gguf exact|fast IDS_FILE OUT_FILE [CHUNK [last]]
//   IDS_FILE: whitespace-separated token ids. CHUNK: tokens per forward call (default: all at
//   once); 1 feeds the prompt token by token, as decoding does. `last`: only each call's last
//   token asks for logits (as a prompt's prefill does), so the file holds one row per call.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "model/model.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL exact|fast IDS_FILE OUT_FILE [CHUNK]\n", argv[0]);
    return 2;
  }
  try {
    tock::ModelOptions opt;
    opt.path = std::string(argv[2]) == "exact" ? tock::ComputePath::exact : tock::ComputePath::fast;
    auto model = tock::Model::load(argv[1], opt);
    std::vector<int32_t> ids;
    std::ifstream in(argv[3]);
    for (int32_t id; in >> id;) ids.push_back(id);
    const size_t chunk = argc > 5 ? size_t(std::atoi(argv[5])) : ids.size();
    const bool last_only = argc > 6 && std::string(argv[6]) == "last";
    tock::KVCache cache = model->make_cache(int64_t(ids.size()) + 1);
    std::vector<float> logits, all;
    for (size_t start = 0; start < ids.size(); start += chunk) {
      tock::Batch batch;
      const size_t end = std::min(ids.size(), start + chunk);
      for (size_t i = start; i < end; ++i) batch.add(ids[i], int32_t(i), 0, !last_only || i + 1 == end);
      model->forward(batch, cache, logits);
      all.insert(all.end(), logits.begin(), logits.end());
    }
    std::FILE* f = std::fopen(argv[4], "wb");
    if (!f || std::fwrite(all.data(), sizeof(float), all.size(), f) != all.size()) {
      std::fprintf(stderr, "cannot write %s\n", argv[4]);
      return 1;
    }
    std::fclose(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model_logits: %s\n", e.what());
    return 1;
  }
  return 0;
}
