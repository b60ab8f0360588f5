// `tock serve`: an OpenAI-compatible HTTP server with continuous batching (src/serve).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <pthread.h>
#include <thread>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"
#include "runtime/chat.hpp"
#include "serve/server.hpp"

namespace tock::cli {
namespace {

struct ServeFlags {
  std::string model;
  std::string chat_template;
  int threads = 0;
  serve::ServeOptions opt;
};

}  // namespace

Action add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API (continuous batching)");
  auto f = std::make_shared<ServeFlags>();
  cmd->add_option("-m,--model", f->model, "GGUF model (default: the default model in the cache)");
  cmd->add_option("--host", f->opt.host, "address to bind (loopback by default)")->capture_default_str();
  cmd->add_option("--port", f->opt.port, "TCP port; 0 = any free port (printed)")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--parallel", f->opt.scheduler.parallel, "sequences decoded together (slots)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("-c,--ctx", f->opt.scheduler.ctx, "context per slot in tokens (prompt + reply); 0 = the model's")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch", f->opt.scheduler.batch_tokens,
                  "tokens per forward pass (decode tokens + prompt chunks); smaller keeps decoding smooth "
                  "while a long prompt is read")->capture_default_str()->check(CLI::Range(2, 65536));
  cmd->add_option("--queue", f->opt.scheduler.queue, "requests that may wait for a slot; beyond: 503")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  cmd->add_option("--timeout", f->opt.timeout_s, "seconds a request may take (queue included); 0 = none")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body", f->opt.max_body, "largest request body in bytes; beyond: 413")
      ->capture_default_str()->check(CLI::Range(size_t(64), size_t(1) << 30));
  cmd->add_option("--api-key", f->opt.api_key, "require 'Authorization: Bearer KEY'");
  cmd->add_option("--chat-template", f->chat_template, "chat template family when the model has none, or to override it");
  cmd->add_option("--alias", f->opt.model_name, "model name reported by the API (default: the file's name)");
  cmd->add_option("-t,--threads", f->threads, "threads for the forward pass (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  return [f]() -> int {
    // SIGINT/SIGTERM are taken by one thread with sigwait. They are blocked first, before the
    // thread pool and the HTTP threads exist, so every thread inherits the mask.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client is a failed write, not a dead server
    if (f->threads > 0) set_thread_count(f->threads);
    const std::string path = resolve_model_path(f->model);
    auto model = Model::load(path);
    auto tok = Tokenizer::from_gguf(model->file());
    if (tok->vocab_size() > model->config().n_vocab)
      fail("serve: the tokenizer has ", tok->vocab_size(), " tokens, the model's output only ", model->config().n_vocab);
    serve::ServeOptions opt = f->opt;
    const int64_t n_ctx_train = model->config().n_ctx_train;
    if (opt.scheduler.ctx == 0 || opt.scheduler.ctx > n_ctx_train) {
      if (opt.scheduler.ctx > n_ctx_train)
        std::fprintf(stderr, "serve: --ctx %lld is over the model's trained context; using %lld\n",
                     (long long)opt.scheduler.ctx, (long long)n_ctx_train);
      opt.scheduler.ctx = n_ctx_train;
    }
    if (opt.model_name.empty()) {
      opt.model_name = path.substr(path.find_last_of('/') + 1);
      if (opt.model_name.size() > 5 && opt.model_name.ends_with(".gguf")) opt.model_name.resize(opt.model_name.size() - 5);
    }
    // A model without a template still serves /v1/completions; chat then answers with the error.
    ChatTemplate tmpl;
    try {
      tmpl = choose_chat_template(model->file(), *tok, f->chat_template);
    } catch (const Error& e) {
      if (!f->chat_template.empty()) throw;
      std::fprintf(stderr, "serve: %s; /v1/chat/completions uses chatml\n", e.what());
    }

    serve::Server server(*model, *tok, tmpl, opt);
    const int port = server.bind();
    std::fprintf(stderr, "serve: %s on http://%s:%d (%d slots x %lld tokens, %d threads)\n",
                 opt.model_name.c_str(), opt.host.c_str(), port, opt.scheduler.parallel,
                 (long long)opt.scheduler.ctx, thread_count());
    std::fflush(stderr);
    std::thread waiter([&server, sigs] {
      int sig = 0;
      sigwait(&sigs, &sig);
      server.stop();
    });
    server.run();
    pthread_kill(waiter.native_handle(), SIGTERM);  // ends the sigwait when run() ended otherwise
    waiter.join();
    std::fprintf(stderr, "serve: stopped\n");
    return 0;
  };
}

}  // namespace tock::cli
