// `tock eval classify`: registered by cmd_eval.cpp under `tock eval`.
#pragma once
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace tock::cli {

Action add_eval_classify(CLI::App* eval);

}  // namespace tock::cli
