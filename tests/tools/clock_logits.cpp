// Test tool for the clock's acceptance check: greedy generation written plainly (model forward
// + argmax, no sampler, no clock), as Session does it: the prompt in one forward pass, then one
// token per pass. Writes the chosen ids and the logits each choice was made from.
// Usage: clock_logits MODEL PROMPT N OUT_PREFIX  ->  OUT_PREFIX.ids (text), OUT_PREFIX.f32 (N, V)
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "text/tokenizer.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL PROMPT N OUT_PREFIX\n", argv[0]);
    return 2;
  }
  try {
    auto model = tock::Model::load(argv[1]);
    auto tok = tock::Tokenizer::from_gguf(model->file());
    const int n = std::atoi(argv[3]);
    std::vector<int32_t> ids = tok->encode(argv[2], {.add_special = true, .parse_special = true});
    tock::KVCache cache = model->make_cache(int64_t(ids.size()) + n + 1);
    tock::Batch batch;
    for (size_t i = 0; i < ids.size(); ++i) batch.add(ids[i], int32_t(i), 0, i + 1 == ids.size());
    std::vector<float> logits, all;
    model->forward(batch, cache, logits);
    std::ofstream out_ids(std::string(argv[4]) + ".ids");
    for (int k = 0; k < n; ++k) {
      int32_t best = 0;  // argmax, ties to the lowest id (the sampler's greedy rule)
      for (size_t v = 1; v < logits.size(); ++v)
        if (logits[v] > logits[size_t(best)]) best = int32_t(v);
      out_ids << best << "\n";
      all.insert(all.end(), logits.begin(), logits.end());
      batch.clear();
      batch.add(best, int32_t(ids.size() + size_t(k)), 0, true);
      model->forward(batch, cache, logits);
    }
    std::FILE* f = std::fopen((std::string(argv[4]) + ".f32").c_str(), "wb");
    if (!f || std::fwrite(all.data(), sizeof(float), all.size(), f) != all.size()) {
      std::fprintf(stderr, "cannot write %s.f32\n", argv[4]);
      return 1;
    }
    std::fclose(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clock_logits: %s\n", e.what());
    return 1;
  }
  return 0;
}
