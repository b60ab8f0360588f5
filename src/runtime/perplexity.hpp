// Perplexity of a model over a text, computed the way llama.cpp's `llama-perplexity` does, so
// the numbers are comparable with that tool (method: docs/eval.md).
//
// Chunks (default): the token list is cut into floor(N / n_ctx) non-overlapping windows of
// n_ctx tokens; each is evaluated from an empty cache (its first token replaced by BOS when
// the tokenizer adds BOS) and only its second half is scored: the logits at positions
// first = n_ctx/2 .. n_ctx-2 predict tokens first+1 .. n_ctx-1 (n_ctx - 1 - first per chunk).
// Stride S (llama.cpp's --ppl-stride): windows of n_ctx start every S tokens, and each scores
// its last S tokens (the ones new since the previous window); the token list is used as is.
// Not here: tokenizing files, printing (the CLI), KL-divergence or HellaSwag modes.
#pragma once
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "model/model.hpp"
#include "text/tokenizer.hpp"

namespace tock {

struct PerplexityParams {
  int n_ctx = 512;      // window length in tokens
  int stride = 0;       // 0 = non-overlapping chunks; else windows advance by this many tokens
  int batch = 512;      // tokens per forward pass; >= 2·n_ctx packs whole windows together
  int max_chunks = -1;  // evaluate at most this many windows (< 0: all)
};

// After each window: the running figures over every token scored so far.
struct PerplexityProgress {
  int window;        // 1-based
  int n_windows;
  int64_t count;     // tokens scored so far
  double ppl;        // exp(mean NLL) so far
  double seconds;    // since the start
};

struct PerplexityResult {
  int64_t n_tokens = 0;  // of the whole text (after BOS handling)
  int n_windows = 0;
  int64_t count = 0;     // tokens scored
  double nll = 0;        // mean negative log-likelihood (nats per token)
  double ppl = 0;        // exp(nll)
  // llama.cpp's ± : ppl · sqrt((mean(nll²) − mean(nll)²) / (count − 1)), the standard error of
  // the mean NLL carried through exp to first order. 0 when count < 2.
  double ppl_err = 0;
  bool bos = false;      // whether windows start with BOS
  double seconds = 0;
};

// The text's tokens as llama.cpp's perplexity tool takes them: BOS first when the tokenizer
// adds BOS (tokenizer.ggml.add_bos_token), control-token text kept as plain text, no EOS.
std::vector<int32_t> perplexity_tokens(const Tokenizer& tok, std::string_view text);

// bos: the id that replaces each chunk's first token, or -1 for none. Errors (too few tokens,
// bad sizes) name the numbers. on_progress (optional) runs after every window.
PerplexityResult perplexity(Model& model, const std::vector<int32_t>& tokens, int32_t bos,
                            const PerplexityParams& params,
                            const std::function<void(const PerplexityProgress&)>& on_progress = {});

}  // namespace tock
