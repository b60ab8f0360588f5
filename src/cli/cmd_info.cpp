// Placeholder until the info command lands.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace tock::cli {

Action add_info_command(CLI::App& app) {
  app.add_subcommand("info", "(not yet built)");
  return [] () -> int { fail("'info' is not built yet"); };
}

}  // namespace tock::cli
