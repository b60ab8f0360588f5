// The `tock` subcommands. Each adds itself to the app; its flags and its call into the
// library live in its own cmd_<name>.cpp. No logic here beyond parsing and printing.
#pragma once
#include <functional>

namespace CLI {
class App;
}

namespace tock::cli {

// Registered callbacks run after parsing; each returns the process exit code.
using Action = std::function<int()>;

Action add_info_command(CLI::App& app);
Action add_tokenize_command(CLI::App& app);
Action add_pull_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_chat_command(CLI::App& app);
Action add_bench_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_tokenizer_command(CLI::App& app);  // tokenizer train
Action add_data_command(CLI::App& app);       // data prepare
Action add_quantize_command(CLI::App& app);   // quantize IN OUT TYPE
Action add_train_command(CLI::App& app);      // train a model (from scratch or --init)
Action add_serve_command(CLI::App& app);      // OpenAI-compatible HTTP server
Action add_eval_command(CLI::App& app);       // eval perplexity / classify

}  // namespace tock::cli
