// `tock quantize`: placeholder registered so the command table is stable while it is being built.
#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "cli/commands.hpp"

namespace tock::cli {

Action add_quantize_command(CLI::App& app) {
  app.add_subcommand("quantize", "Convert a GGUF model's weights to another type (in progress)");
  return []() -> int { fail("tock quantize: not available in this build yet"); };
}

}  // namespace tock::cli
