// `tock quantize IN.gguf OUT.gguf TYPE`: requantize a model's weight matrices (metadata and
// tokenizer kept). The work is in runtime/model_quantize.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "core/thread_pool.hpp"
#include "runtime/model_quantize.hpp"

namespace tock::cli {
namespace {

struct QuantizeFlags {
  std::string in, out, type;
  bool keep_output = false;
  int threads = 0;
};

}  // namespace

Action add_quantize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Convert a GGUF model's weight matrices to another type");
  auto f = std::make_shared<QuantizeFlags>();
  cmd->add_option("input", f->in, "GGUF model to read")->required();
  cmd->add_option("output", f->out, "GGUF file to write (atomically)")->required();
  cmd->add_option("type", f->type, "F32, F16, BF16, Q8_0, Q4_0 or Q4_1")->required();
  cmd->add_flag("--keep-output", f->keep_output, "keep output.weight and token_embd.weight in their current type");
  cmd->add_option("-t,--threads", f->threads, "threads (default: all cores)");
  cmd->footer("1-D tensors (norms) stay F32; matrices whose rows are not whole 32-element blocks stay F16/F32.");
  return [f]() -> int {
    if (f->threads > 0) set_thread_count(f->threads);
    QuantizeOptions o;
    o.type = parse_quantize_type(f->type);  // before reading: a bad TYPE fails fast
    o.keep_output = f->keep_output;
    const QuantizeSummary s = quantize_model_file(f->in, f->out, o);
    std::printf("%s: %d tensors, %d converted to %s, %d kept as F16/F32 (row length), %d copied; %.1f MiB -> %.1f MiB\n",
                f->out.c_str(), s.tensors, s.converted, f->type.c_str(), s.fallback,
                s.tensors - s.converted - s.fallback, double(s.in_bytes) / (1 << 20),
                double(s.out_bytes) / (1 << 20));
    return 0;
  };
}

}  // namespace tock::cli
