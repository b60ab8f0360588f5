// Placeholder until the pull command lands.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace tock::cli {

Action add_pull_command(CLI::App& app) {
  app.add_subcommand("pull", "(not yet built)");
  return [] () -> int { fail("'pull' is not built yet"); };
}

}  // namespace tock::cli
