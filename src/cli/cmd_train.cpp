// `tock train`: placeholder registered so the command table is stable while it is being built.
#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "cli/commands.hpp"

namespace tock::cli {

Action add_train_command(CLI::App& app) {
  app.add_subcommand("train", "Train a model (in progress)");
  return []() -> int { fail("tock train: not available in this build yet"); };
}

}  // namespace tock::cli
