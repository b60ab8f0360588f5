// `tock bench`: prompt-processing and generation speed of a model (llama-bench style), with the
// clock off, on, or both alternated (its overhead). Prints a table of medians.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"
#include "runtime/bench.hpp"

namespace tock::cli {
namespace {

struct BenchFlags {
  std::string model;
  BenchParams params;
  std::string clock = "off";
  int threads = 0;
  bool exact = false;
};

}  // namespace

Action add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prompt processing (pp) and generation (tg) speed");
  auto f = std::make_shared<BenchFlags>();
  cmd->add_option("-m,--model", f->model, "GGUF model file or known name (default: smollm2)");
  cmd->add_option("-p,--prompt-tokens", f->params.prompt_tokens, "pp: prompt tokens (0 = skip)")->capture_default_str();
  cmd->add_option("-n,--gen-tokens", f->params.gen_tokens, "tg: generated tokens (0 = skip)")->capture_default_str();
  cmd->add_option("-d,--depth", f->params.depth, "tg starts after this many tokens of context")->capture_default_str();
  cmd->add_option("-r,--repetitions", f->params.repetitions, "rounds; medians are reported")->capture_default_str();
  cmd->add_option("-b,--batch", f->params.prefill_chunk, "prompt tokens per forward pass")->capture_default_str();
  cmd->add_option("--clock", f->clock, "trace every round at per-op granularity: off, on, or both (alternated)")
      ->check(CLI::IsMember({"off", "on", "both"}))->capture_default_str();
  cmd->add_option("-t,--threads", f->threads, "threads (default: all cores)");
  cmd->add_flag("--exact", f->exact, "the f32 reference path instead of the fast one");
  cmd->footer("Timings on shared machines vary: compare within one run (--clock both alternates rounds).");
  return [f]() -> int {
    if (f->threads > 0) set_thread_count(f->threads);
    f->params.clock = f->clock == "on" ? ClockMode::on : f->clock == "both" ? ClockMode::both : ClockMode::off;
    const std::string path = resolve_model_path(f->model);
    auto model = Model::load(path, {.path = f->exact ? ComputePath::exact : ComputePath::fast});
    auto tok = Tokenizer::from_gguf(model->file());
    const auto series = run_bench(*model, *tok, f->params);
    std::printf("model: %s (%s path), threads: %d, repetitions: %d\n", path.c_str(),
                f->exact ? "exact" : "fast", thread_pool().size(), f->params.repetitions);
    std::printf("%-8s %-6s %-6s %12s %10s\n", "test", "depth", "clock", "tok/s", "spread");
    std::map<std::string, double> off_median;
    for (const auto& s : series) {
      const std::string name = std::string(s.test) + std::to_string(s.tokens);
      std::printf("%-8s %-6d %-6s %12.1f %9.1f%%\n", name.c_str(), s.depth, s.clock_on ? "on" : "off",
                  s.median(), 100 * s.spread());
      if (!s.clock_on) off_median[name] = s.median();
      else if (off_median.count(name))
        std::printf("%-8s clock overhead: %+.1f%% time per token (median off vs on)\n", name.c_str(),
                    100 * (off_median[name] / s.median() - 1));
    }
    return 0;
  };
}

}  // namespace tock::cli
