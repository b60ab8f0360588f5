// `tock report TRACE.json -o report.html`: the clock's HTML report of a traced run; --metrics
// prints the same summary `tock run --metrics` does, from the file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.hpp"
#include "clock/metrics.hpp"
#include "clock/report.hpp"
#include "clock/trace_json.hpp"
#include "core/error.hpp"

namespace tock::cli {
namespace {

struct ReportFlags {
  std::string trace;
  std::string out = "report.html";
  bool metrics = false;
};

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("report: cannot write ", tmp);
    f << text;
    f.flush();
    if (!f) fail("report: write failed on ", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("report: cannot rename ", tmp, " to ", path);
}

}  // namespace

Action add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Turn a trace from `tock run --trace` into a self-contained HTML report");
  auto f = std::make_shared<ReportFlags>();
  cmd->add_option("trace", f->trace, "trace JSON written by --trace")->required();
  cmd->add_option("-o,--output", f->out, "HTML file to write")->capture_default_str();
  cmd->add_flag("--metrics", f->metrics, "also print the metrics summary");
  return [f]() -> int {
    const nlohmann::json j = clock::read_json_file(f->trace);
    const std::string html = clock::render_report(j);
    write_text_atomically(f->out, html);
    std::fprintf(stderr, "report: %s (%.1f KiB)\n", f->out.c_str(), double(html.size()) / 1024);
    if (f->metrics) std::printf("%s", clock::format_metrics(clock::compute_metrics(clock::parse_trace(j))).c_str());
    return 0;
  };
}

}  // namespace tock::cli
