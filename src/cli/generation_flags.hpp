// Flags shared by the commands that generate text (run, chat): model, context, sampling.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "runtime/generation.hpp"
#include "runtime/sampler.hpp"

namespace CLI {
class App;
}

namespace tock::cli {

struct GenerationFlags {
  std::string model;           // -m; empty = default model
  int64_t ctx = 0;             // -c; 0 = model's trained context
  bool exact = false;          // --exact: reference compute path
  int threads = 0;             // -t; 0 = all cores
  bool verbose = false;        // -v
  SamplerParams sampling;
  GenerateParams generate;
  std::string chat_template;   // --chat-template NAME; empty = from the model
  std::string system;          // --system TEXT

  void add_to(CLI::App& cmd);
  // Loads the model with the chosen compute path (prints memory use with -v).
  std::unique_ptr<Model> load_model() const;
};

// Explains the sampler chain; shown at the end of `--help`.
extern const char* const kSamplingHelp;

}  // namespace tock::cli
