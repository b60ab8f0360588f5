// `tock eval`: placeholder registered so the command table is stable while it is being built.
#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "cli/commands.hpp"

namespace tock::cli {

Action add_eval_command(CLI::App& app) {
  app.add_subcommand("eval", "Evaluate a model (in progress)");
  return []() -> int { fail("tock eval: not available in this build yet"); };
}

}  // namespace tock::cli
