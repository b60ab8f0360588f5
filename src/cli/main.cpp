// Entry point of the `tock` command: parses the subcommand and turns errors into one line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Tock: run, see, train and serve transformer language models"};
  app.set_version_flag("--version", std::string("tock ") + TOCK_VERSION);
  app.require_subcommand(1);

  struct Sub {
    const char* name;
    tock::cli::Action action;
  };
  std::vector<Sub> subs = {
      {"info", tock::cli::add_info_command(app)},
      {"tokenize", tock::cli::add_tokenize_command(app)},
      {"pull", tock::cli::add_pull_command(app)},
      {"run", tock::cli::add_run_command(app)},
      {"chat", tock::cli::add_chat_command(app)},
      {"bench", tock::cli::add_bench_command(app)},
      {"report", tock::cli::add_report_command(app)},
      {"tokenizer", tock::cli::add_tokenizer_command(app)},
      {"data", tock::cli::add_data_command(app)},
      {"quantize", tock::cli::add_quantize_command(app)},
      {"train", tock::cli::add_train_command(app)},
      {"serve", tock::cli::add_serve_command(app)},
      {"eval", tock::cli::add_eval_command(app)},
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& s : subs)
      if (app.got_subcommand(s.name)) return s.action();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tock: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
