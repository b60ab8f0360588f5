// `tock eval perplexity -m MODEL -f TEXT [--ctx N] [--stride S] [--batch B] [--chunks K] [-t N]`:
// llama.cpp-comparable perplexity (runtime/perplexity.hpp). `tock eval classify`: cmd_eval_classify.cpp.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/cmd_eval_classify.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/model_cache.hpp"
#include "runtime/perplexity.hpp"

namespace tock::cli {
namespace {

const char* const kPerplexityMethod =
    "Method (as llama.cpp's llama-perplexity; docs/eval.md): the whole text is tokenized, with BOS\n"
    "first if the model's tokenizer adds BOS. Chunks (default): floor(N/ctx) non-overlapping\n"
    "windows of ctx tokens, each from an empty context, its first token replaced by BOS when the\n"
    "tokenizer adds BOS; only the second half is scored: logits at positions ctx/2 .. ctx-2\n"
    "predict the next token (ctx/2 - 1 tokens per chunk for even ctx). --stride S (llama.cpp's\n"
    "--ppl-stride): windows of ctx tokens start every S tokens, ceil((N-ctx)/S) of them, each\n"
    "scoring its last S tokens (those new since the previous window); no BOS is inserted.\n"
    "PPL = exp(mean NLL) over all scored tokens; the +/- is PPL * sqrt((mean(NLL^2) - mean(NLL)^2)\n"
    "/ (count-1)), llama.cpp's estimate. Running PPL is printed after each window as [i]PPL.";

struct PerplexityFlags {
  std::string model;
  std::string text_file;
  PerplexityParams params;
  int threads = 0;
  bool exact = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("eval perplexity: cannot open text file '", path, "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_perplexity(const PerplexityFlags& f) {
  if (f.threads > 0) set_thread_count(f.threads);
  const std::string path = resolve_model_path(f.model);
  auto model = Model::load(path, {.path = f.exact ? ComputePath::exact : ComputePath::fast});
  auto tok = Tokenizer::from_gguf(model->file());
  const std::vector<int32_t> tokens = perplexity_tokens(*tok, read_text(f.text_file));
  const PerplexityParams& p = f.params;
  std::string mode = "chunks";
  if (p.stride) mode = std::string("stride ").append(std::to_string(p.stride));
  std::fprintf(stderr, "perplexity: %s, %zu tokens, ctx %d, %s, batch %d, %d threads, %s path\n",
               path.c_str(), tokens.size(), p.n_ctx,
               mode.c_str(), p.batch,
               thread_pool().size(), f.exact ? "exact" : "fast");
  const int32_t bos = tok->adds_bos() ? tok->bos() : -1;
  const PerplexityResult r = perplexity(*model, tokens, bos, p, [](const PerplexityProgress& s) {
    std::printf("[%d]%.4f,", s.window, s.ppl);
    std::fflush(stdout);
  });
  std::printf("\n");
  std::printf("Final estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_err);
  std::fprintf(stderr, "perplexity: %d windows, %lld tokens scored, mean NLL %.6f, BOS %s, %.2f s (%.1f tok/s)\n",
               r.n_windows, (long long)r.count, r.nll, r.bos ? "yes" : "no", r.seconds,
               double(r.n_windows) * p.n_ctx / r.seconds);
  return 0;
}

}  // namespace

Action add_eval_command(CLI::App& app) {
  CLI::App* eval = app.add_subcommand("eval", "Evaluate a model: perplexity over a text, or a classifier on a TSV");
  eval->require_subcommand(1);
  auto f = std::make_shared<PerplexityFlags>();
  CLI::App* ppl = eval->add_subcommand("perplexity", "Perplexity of a model over a text file (llama.cpp's method)");
  ppl->add_option("-m,--model", f->model, "GGUF model file or known name (default: smollm2)");
  ppl->add_option("-f,--file", f->text_file, "Text file")->required()->check(CLI::ExistingFile);
  ppl->add_option("-c,--ctx", f->params.n_ctx, "Window length in tokens")->capture_default_str();
  ppl->add_option("--stride", f->params.stride, "Sliding windows advancing by S tokens (0 = chunks)")
      ->capture_default_str();
  ppl->add_option("-b,--batch", f->params.batch, "Tokens per forward pass (>= 2*ctx packs windows)")
      ->capture_default_str();
  ppl->add_option("--chunks", f->params.max_chunks, "Evaluate at most this many windows (-1 = all)")
      ->capture_default_str();
  ppl->add_option("-t,--threads", f->threads, "Threads (default: all cores)");
  ppl->add_flag("--exact", f->exact, "The f32 reference path instead of the fast one");
  ppl->footer(kPerplexityMethod);
  Action classify = add_eval_classify(eval);
  return [f, ppl, classify]() -> int {
    if (!ppl->parsed()) return classify();
    return run_perplexity(*f);
  };
}

}  // namespace tock::cli
