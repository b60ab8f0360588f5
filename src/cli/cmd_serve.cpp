// `tock serve`: placeholder registered so the command table is stable while it is being built.
#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "cli/commands.hpp"

namespace tock::cli {

Action add_serve_command(CLI::App& app) {
  app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API (in progress)");
  return []() -> int { fail("tock serve: not available in this build yet"); };
}

}  // namespace tock::cli
