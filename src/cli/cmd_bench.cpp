// `tock bench`: prompt-processing and generation speed of a model (llama-bench style), with the
// clock off, on, or both alternated (its overhead), the machine's memory bandwidth as the
// roofline of decode, and resident memory. Prints a markdown table, or JSON with --json.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"
#include "runtime/bench.hpp"
#include "runtime/bench_probes.hpp"

namespace tock::cli {
namespace {

struct BenchFlags {
  std::string model;
  BenchParams params;
  std::string clock = "off";
  int threads = 0;
  int bw_rounds = 5;
  bool exact = false;
  bool json = false;
};

constexpr double kBenchMiB = 1024.0 * 1024.0;

// "llama 135M Q4_1": architecture, parameters, and the type holding most weight bytes.
std::string bench_model_label(const GgufFile& f, int64_t params) {
  std::map<std::string, size_t> bytes;
  for (const auto& t : f.tensors())
    if (t.n_dims >= 2) bytes[std::string(dtype_name(t.type))] += t.nbytes;
  std::string type = "?";
  size_t most = 0;
  for (const auto& [name, b] : bytes)
    if (b > most) most = b, type = name;
  char size[32];
  if (params >= 1'000'000'000) std::snprintf(size, sizeof size, "%.1fB", double(params) / 1e9);
  else std::snprintf(size, sizeof size, "%.0fM", double(params) / 1e6);
  return f.get_string("general.architecture", "?") + " " + size + " " + type;
}

std::string bench_json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\'), out.push_back(c);
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else out.push_back(c);
  }
  return out.append("\"");
}

}  // namespace

Action add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prompt processing (pp) and generation (tg) speed");
  auto f = std::make_shared<BenchFlags>();
  cmd->add_option("-m,--model", f->model, "GGUF model file or known name (default: smollm2)");
  cmd->add_option("-p,--prompt-tokens", f->params.prompt_tokens, "pp: prompt tokens, a list (0 = skip)")
      ->delimiter(',')->capture_default_str();
  cmd->add_option("-n,--gen-tokens", f->params.gen_tokens, "tg: generated tokens, a list (0 = skip)")
      ->delimiter(',')->capture_default_str();
  cmd->add_option("-d,--depth", f->params.depths, "context already in the cache before each test, a list")
      ->delimiter(',')->capture_default_str();
  cmd->add_option("-r,--repetitions", f->params.repetitions, "rounds per test")->capture_default_str();
  cmd->add_option("-b,--batch", f->params.prefill_chunk, "prompt tokens per forward pass")->capture_default_str();
  cmd->add_option("--clock", f->clock, "trace every round at per-op granularity: off, on, or both (alternated)")
      ->check(CLI::IsMember({"off", "on", "both"}))->capture_default_str();
  cmd->add_option("-t,--threads", f->threads, "threads (default: all cores)");
  cmd->add_option("--bw-rounds", f->bw_rounds, "rounds of the memory bandwidth probe (best is kept; 0 = skip)")
      ->capture_default_str();
  cmd->add_flag("--exact", f->exact, "the f32 reference path instead of the fast one");
  cmd->add_flag("--json", f->json, "print one JSON object instead of the table");
  cmd->footer(
      "t/s is mean ± sample std over the rounds (as llama-bench); JSON also has the median and samples.\n"
      "%BW (tg rows): weight bytes read per token x tok/s, as a share of the triad bandwidth.\n"
      "Timings on shared machines vary: compare within one run (--clock both alternates rounds).");
  return [f]() -> int {
    if (f->threads > 0) set_thread_count(f->threads);
    f->params.clock = f->clock == "on" ? ClockMode::on : f->clock == "both" ? ClockMode::both : ClockMode::off;
    const std::string path = resolve_model_path(f->model);
    auto model = Model::load(path, {.path = f->exact ? ComputePath::exact : ComputePath::fast});
    auto tok = Tokenizer::from_gguf(model->file());
    const MemoryUsage loaded = memory_usage();
    const GgufFile& file = model->file();
    size_t weight_bytes = 0;
    for (const auto& t : file.tensors()) weight_bytes += t.nbytes;
    const size_t per_token = decode_weight_bytes(file);
    const int64_t params = parameter_count(file);
    const auto series = run_bench(*model, *tok, f->params);
    const MemoryUsage after = memory_usage();
    // The probe runs last, on the same threads, so its buffers count in neither memory figure.
    const double bw = f->bw_rounds > 0 ? triad_bandwidth(weight_bytes, f->bw_rounds) : 0;
    const std::string label = bench_model_label(file, params);
    const std::string backend = std::string("CPU ") + std::string(isa_name(active_isa()));
    const int threads = thread_pool().size();
    auto bw_share = [&](const BenchSeries& s) { return bw > 0 && s.test == "tg" ? per_token * s.mean() / bw : 0.0; };

    if (f->json) {
      std::printf("{\n  \"model\": %s,\n  \"model_path\": %s,\n  \"model_size_bytes\": %zu,\n  \"model_params\": %lld,\n",
                  bench_json_string(label).c_str(), bench_json_string(path).c_str(), weight_bytes, (long long)params);
      std::printf("  \"backend\": \"CPU\",\n  \"isa\": %s,\n  \"compute_path\": \"%s\",\n  \"threads\": %d,\n  \"repetitions\": %d,\n",
                  bench_json_string(std::string(isa_name(active_isa()))).c_str(), f->exact ? "exact" : "fast", threads,
                  f->params.repetitions);
      std::printf("  \"memory_bandwidth_bytes_per_s\": %.0f,\n  \"bandwidth_probe\": {\"kind\": \"triad\", \"working_set_bytes\": %zu, \"rounds\": %d},\n",
                  bw, weight_bytes, f->bw_rounds);
      std::printf("  \"decode_weight_bytes_per_token\": %zu,\n", per_token);
      std::printf("  \"memory\": {\"after_load_rss_kib\": %lld, \"after_load_hwm_kib\": %lld, \"after_run_rss_kib\": %lld, \"after_run_hwm_kib\": %lld},\n",
                  (long long)loaded.rss_kib, (long long)loaded.hwm_kib, (long long)after.rss_kib, (long long)after.hwm_kib);
      std::printf("  \"results\": [");
      for (size_t i = 0; i < series.size(); ++i) {
        const auto& s = series[i];
        std::string samples;
        for (double v : s.tok_per_s) samples.append(samples.empty() ? "" : ", ").append(std::to_string(v));
        std::printf("%s\n    {\"test\": %s, \"n_prompt\": %d, \"n_gen\": %d, \"n_depth\": %d, \"clock\": %s, "
                    "\"avg_ts\": %.4f, \"stddev_ts\": %.4f, \"median_ts\": %.4f, \"samples_ts\": [%s], \"bandwidth_share\": %.4f, \"pool_jobs_per_token\": %.2f, \"pool_wait_us_per_token\": %.2f}",
                    i ? "," : "", bench_json_string(s.name()).c_str(), s.test == "pp" ? s.tokens : 0,
                    s.test == "tg" ? s.tokens : 0, s.depth, s.clock_on ? "true" : "false", s.mean(), s.stddev(),
                    s.median(), samples.c_str(), bw_share(s), s.pool_jobs_per_token(), s.pool_wait_us_per_token());
      }
      std::printf("\n  ]\n}\n");
      return 0;
    }

    std::printf("model: %s (%s path), ISA %s, threads: %d, repetitions: %d\n", path.c_str(),
                f->exact ? "exact" : "fast", std::string(isa_name(active_isa())).c_str(), threads,
                f->params.repetitions);
    if (bw > 0)
      std::printf("memory bandwidth (triad, %d threads, %.1f MiB working set, best of %d): %.2f GB/s\n", threads,
                  double(weight_bytes) / kBenchMiB, f->bw_rounds, bw / 1e9);
    std::printf("weights read per decode token: %.2f MiB\n\n", double(per_token) / kBenchMiB);
    std::printf("| %-18s | %10s | %9s | %-10s | %7s | %-14s | %-5s | %18s | %10s | %6s |\n", "model", "size", "params",
                "backend", "threads", "test", "clock", "t/s", "median", "%BW");
    std::printf("| %.18s | %.10s | %.9s | %.10s | %.7s | %.14s | %.5s | %.18s | %.10s | %.6s |\n",
                "------------------", "---------:", "--------:", "----------", "------:", "--------------", "-----",
                "-----------------:", "---------:", "-----:");
    char size[32], par[32];
    std::snprintf(size, sizeof size, "%.2f MiB", double(weight_bytes) / kBenchMiB);
    std::snprintf(par, sizeof par, "%.2f M", double(params) / 1e6);
    std::map<std::string, double> off_median;
    std::string overhead;
    for (const auto& s : series) {
      char ts[48], share[16] = "";
      std::snprintf(ts, sizeof ts, "%.2f ± %.2f", s.mean(), s.stddev());
      if (bw_share(s) > 0) std::snprintf(share, sizeof share, "%.1f%%", 100 * bw_share(s));
      // "±" is two bytes in UTF-8: widen the field by one so columns line up.
      std::printf("| %-18s | %10s | %9s | %-10s | %7d | %-14s | %-5s | %19s | %10.2f | %6s |\n", label.c_str(), size, par,
                  backend.c_str(), threads, s.name().c_str(), s.clock_on ? "on" : "off", ts, s.median(), share);
      if (!s.clock_on) {
        off_median[s.name()] = s.median();
      } else if (off_median.count(s.name())) {
        char line[128];
        std::snprintf(line, sizeof line, "%s clock overhead: %+.1f%% time per token (median off vs on)\n",
                      s.name().c_str(), 100 * (off_median[s.name()] / s.median() - 1));
        overhead.append(line);
      }
    }
    std::printf("\n%s", overhead.c_str());
    for (const auto& s : series)  // the caller's wait at the barriers: threads out of step
      if (s.pool_tokens > 0 && threads > 1)
        std::printf("pool (%s, clock %s): %.1f parallel_for per token, %.0f us waiting per token (%.1f%% of %.2f ms)\n",
                    s.name().c_str(), s.clock_on ? "on" : "off", s.pool_jobs_per_token(), s.pool_wait_us_per_token(),
                    1e-4 * s.pool_wait_us_per_token() * s.mean(), s.mean() > 0 ? 1e3 / s.mean() : 0.0);
    std::printf("resident memory: after load %.1f MiB (peak %.1f MiB), after run %.1f MiB (peak %.1f MiB)\n",
                double(loaded.rss_kib) / 1024, double(loaded.hwm_kib) / 1024, double(after.rss_kib) / 1024,
                double(after.hwm_kib) / 1024);
    return 0;
  };
}

}  // namespace tock::cli
