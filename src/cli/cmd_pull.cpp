// `tock pull NAME`: fetch a known model into the cache and verify its checksum.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "io/model_cache.hpp"

namespace tock::cli {

Action add_pull_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("pull", "Download a known model into the cache (checksum-verified)");
  auto name = std::make_shared<std::string>("smollm2");
  auto list = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "model name (default: smollm2)");
  cmd->add_flag("--list", *list, "list the known models and exit");
  cmd->footer("Cache: $TOCK_CACHE, else $XDG_CACHE_HOME/tock, else ~/.cache/tock");
  return [name, list]() -> int {
    if (*list) {
      for (const auto& m : known_models())
        std::printf("%-10s %s\n", std::string(m.name).c_str(), std::string(m.description).c_str());
      return 0;
    }
    const std::string path = pull_model(known_model(*name), [](const std::string& s) {
      std::fprintf(stderr, "%s\n", s.c_str());
    });
    std::printf("%s\n", path.c_str());
    return 0;
  };
}

}  // namespace tock::cli
