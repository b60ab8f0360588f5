// `tock run`: generate text from a prompt, streaming it to stdout; speeds at the end on stderr.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/clock_flags.hpp"
#include "cli/commands.hpp"
#include "cli/generation_flags.hpp"
#include "core/error.hpp"
#include "runtime/chat.hpp"
#include "text/tokenizer.hpp"

namespace tock::cli {
namespace {

struct RunFlags {
  GenerationFlags gen;
  std::string prompt;
  std::string prompt_file;
  bool chat = false;
  ClockFlags clock;  // --trace, --metrics, --tick, --trace-attention
};

void print_speed(const GenerationStats& s) {
  auto rate = [](int64_t n, double sec) { return sec > 0 ? double(n) / sec : 0.0; };
  std::fprintf(stderr,
               "\n\nprompt: %lld tokens in %.1f ms (%.1f tok/s) | generation: %lld tokens in %.1f ms "
               "(%.1f tok/s) | stop: %s\n",
               (long long)s.prompt_tokens, s.prompt_seconds * 1e3, rate(s.prompt_tokens, s.prompt_seconds),
               (long long)s.generated_tokens(), s.generate_seconds * 1e3,
               rate(s.generated_tokens(), s.generate_seconds), stop_reason_name(s.stop));
}

}  // namespace

Action add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Generate text from a prompt (prints only the generated text)");
  auto f = std::make_shared<RunFlags>();
  cmd->add_option("-p,--prompt", f->prompt, "the prompt");
  cmd->add_option("-f,--file", f->prompt_file, "read the prompt from a file (- = standard input)");
  cmd->add_flag("--chat", f->chat, "wrap the prompt as a user message in the chat template");
  f->gen.add_to(*cmd);
  f->clock.add_to(*cmd);
  return [f]() -> int {
    if (f->prompt.empty() == f->prompt_file.empty()) fail("run: give exactly one of -p PROMPT or -f FILE");
    std::string prompt = f->prompt;
    if (!f->prompt_file.empty()) {
      std::ifstream file;
      std::istream* in = &std::cin;  // "-" reads standard input
      if (f->prompt_file != "-") {
        file.open(f->prompt_file, std::ios::binary);
        if (!file) fail("run: cannot read prompt file ", f->prompt_file);
        in = &file;
      }
      std::ostringstream ss;
      ss << in->rdbuf();
      prompt = ss.str();
    }
    auto model = f->gen.load_model();
    auto tok = Tokenizer::from_gguf(model->file());
    auto on_text = [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return true;
    };
    GenerationStats stats;
    f->clock.start();
    if (f->chat) {
      ChatSession chat(*model, *tok, choose_chat_template(model->file(), *tok, f->gen.chat_template),
                       f->gen.sampling, f->gen.ctx, f->gen.system);
      stats = chat.reply(prompt, f->gen.generate, on_text);
    } else {
      Session session(*model, *tok, f->gen.sampling, f->gen.ctx);
      stats = session.run(prompt, f->gen.generate, on_text);
    }
    f->clock.finish("run", model->file().path(), prompt, f->gen.sampling);
    print_speed(stats);
    return 0;
  };
}

}  // namespace tock::cli
