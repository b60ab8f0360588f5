// Placeholder until the tokenize command lands.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace tock::cli {

Action add_tokenize_command(CLI::App& app) {
  app.add_subcommand("tokenize", "(not yet built)");
  return [] () -> int { fail("'tokenize' is not built yet"); };
}

}  // namespace tock::cli
