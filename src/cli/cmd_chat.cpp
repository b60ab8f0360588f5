// `tock chat`: an interactive multi-turn conversation. The KV cache is kept between turns;
// /reset forgets the conversation, /exit (or end of input) quits, Ctrl-C stops a reply.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/clock_flags.hpp"
#include "cli/commands.hpp"
#include "cli/generation_flags.hpp"
#include "runtime/chat.hpp"
#include "text/tokenizer.hpp"

namespace tock::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;  // set by Ctrl-C; the only state a handler may touch
extern "C" void on_sigint(int) { g_interrupted = 1; }

void install_sigint_handler() {
  struct sigaction sa{};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a read at the prompt returns, and we print a new prompt
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace

Action add_chat_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "Chat with a model (multi-turn; /reset, /exit; Ctrl-C stops a reply)");
  auto f = std::make_shared<GenerationFlags>();
  f->generate.max_tokens = 1024;
  f->add_to(*cmd);
  auto clock = std::make_shared<ClockFlags>();  // --trace, --metrics, --tick, --trace-attention: one trace
  clock->add_to(*cmd);                          // for the whole conversation, written at exit
  return [f, clock]() -> int {
    auto model = f->load_model();
    auto tok = Tokenizer::from_gguf(model->file());
    ChatSession chat(*model, *tok, choose_chat_template(model->file(), *tok, f->chat_template),
                     f->sampling, f->ctx, f->system);
    install_sigint_handler();
    const bool tty = isatty(STDIN_FILENO);
    std::string said;  // the user's lines, for the trace's description
    clock->start();
    const int rc = [&]() -> int {
      if (tty) std::fprintf(stderr, "tock chat: /reset forgets the conversation, /exit quits, Ctrl-C stops a reply\n");
      std::string line;
      while (true) {
        std::fputs("> ", stdout);
        std::fflush(stdout);
        g_interrupted = 0;
        if (!std::getline(std::cin, line)) {
          if (g_interrupted && !std::cin.eof()) {  // Ctrl-C at the prompt: new prompt
            std::cin.clear();
            std::fputs("\n", stdout);
            continue;
          }
          std::fputs("\n", stdout);
          return 0;
        }
        if (line == "/exit" || line == "/quit") return 0;
        if (line == "/reset") {
          chat.reset();
          std::fputs("(conversation reset)\n", stdout);
          continue;
        }
        if (line.empty()) continue;
        said += said.empty() ? line : "\n" + line;
        const int64_t before = chat.session().tokens_processed();
        GenerationStats s = chat.reply(
            line, f->generate,
            [](std::string_view text) {
              std::fwrite(text.data(), 1, text.size(), stdout);
              std::fflush(stdout);
              return true;
            },
            [] { return g_interrupted != 0; });
        std::fputs("\n", stdout);
        if (s.stop == StopReason::cancelled) std::fputs("(stopped)\n", stdout);
        if (f->verbose)
          std::fprintf(stderr,
                       "[turn: %lld prompt tokens processed, %lld generated, %lld processed this turn, "
                       "%lld in context; %.1f tok/s]\n",
                       (long long)s.prompt_tokens, (long long)s.generated_tokens(),
                       (long long)(chat.session().tokens_processed() - before),
                       (long long)chat.session().n_past(),
                       s.generate_seconds > 0 ? double(s.generated_tokens()) / s.generate_seconds : 0.0);
      }
    }();
    clock->finish("chat", model->file().path(), said, f->sampling);
    return rc;
  };
}

}  // namespace tock::cli
