#include "runtime/perplexity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace tock {
namespace {

// One window of n_ctx tokens starting at `start`; logits at positions score_from .. n_ctx-2
// are scored against the token that follows each.
struct Window {
  int64_t start;
  int score_from;
};

// −log p(target) under softmax(row), as llama.cpp's log_softmax: float max and exponentials,
// a double sum.
double token_nll(const float* row, int64_t V, int32_t target) {
  float max_logit = row[0];
  for (int64_t i = 1; i < V; ++i) max_logit = std::max(max_logit, row[i]);
  double sum_exp = 0;
  for (int64_t i = 0; i < V; ++i) sum_exp += std::exp(row[i] - max_logit);
  return -(double(row[target] - max_logit) - std::log(sum_exp));
}

std::vector<Window> plan_windows(int64_t N, const PerplexityParams& p) {
  std::vector<Window> w;
  if (p.stride == 0) {
    for (int64_t i = 0; i < N / p.n_ctx; ++i) w.push_back({i * p.n_ctx, p.n_ctx / 2});
  } else {
    // llama.cpp's perplexity_v2: ceil((N − n_ctx) / S) windows, each scoring its last S tokens.
    const int64_t n = (N - p.n_ctx + p.stride - 1) / p.stride;
    for (int64_t i = 0; i < n; ++i) w.push_back({i * p.stride, p.n_ctx - p.stride - 1});
  }
  if (p.max_chunks >= 0 && int64_t(w.size()) > p.max_chunks) w.resize(size_t(p.max_chunks));
  return w;
}

}  // namespace

std::vector<int32_t> perplexity_tokens(const Tokenizer& tok, std::string_view text) {
  std::vector<int32_t> ids;
  if (tok.adds_bos() && tok.bos() >= 0) ids.push_back(tok.bos());
  const std::vector<int32_t> body = tok.encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

PerplexityResult perplexity(Model& model, const std::vector<int32_t>& tokens, int32_t bos,
                            const PerplexityParams& p,
                            const std::function<void(const PerplexityProgress&)>& on_progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& c = model.config();
  const int64_t N = int64_t(tokens.size()), V = c.n_vocab;
  if (p.n_ctx < 4) fail("perplexity: --ctx ", p.n_ctx, " is too small (at least 4)");
  if (p.n_ctx > c.n_ctx_train)
    fail("perplexity: --ctx ", p.n_ctx, " is over the model's context length ", c.n_ctx_train);
  if (p.batch < 1) fail("perplexity: --batch ", p.batch, " must be at least 1");
  if (p.stride < 0 || p.stride >= p.n_ctx)
    fail("perplexity: --stride ", p.stride, " must be in [1, ctx-1] = [1, ", p.n_ctx - 1, "] (or 0 for chunks)");
  // llama.cpp asks for at least two windows' worth of text in both modes.
  if (N < 2 * int64_t(p.n_ctx))
    fail("perplexity: the text has ", N, " tokens; a context of ", p.n_ctx, " needs at least ",
         2 * int64_t(p.n_ctx));
  for (int64_t i = 0; i < N; ++i)
    if (tokens[size_t(i)] < 0 || tokens[size_t(i)] >= V)
      fail("perplexity: token ", i, " has id ", tokens[size_t(i)], " outside the vocabulary [0, ", V, ")");

  const std::vector<Window> windows = plan_windows(N, p);
  if (windows.empty()) fail("perplexity: no window to evaluate (--chunks 0?)");
  // Only the chunk mode puts BOS first (llama.cpp's stride mode evaluates the raw windows).
  const bool with_bos = p.stride == 0 && bos >= 0;

  PerplexityResult r;
  r.n_tokens = N;
  r.n_windows = int(windows.size());
  r.bos = with_bos;

  // Several whole windows per forward pass when the batch holds them (as llama.cpp's n_seq),
  // else one window in pieces of `batch` tokens.
  const int n_seq = std::max(1, p.batch / p.n_ctx);
  const int piece = n_seq > 1 ? p.n_ctx : std::min(p.batch, p.n_ctx);
  KVCache cache = model.make_cache(p.n_ctx);
  Batch batch;
  std::vector<float> logits;
  std::vector<int32_t> targets;   // (n_out) the token each returned logits row predicts
  std::vector<int> owner;         // (n_out) window of the group it belongs to
  std::vector<double> row_nll;
  double nll_sum = 0, nll2_sum = 0;

  for (size_t g = 0; g < windows.size(); g += size_t(n_seq)) {
    const size_t n_group = std::min(windows.size() - g, size_t(n_seq));
    std::vector<double> win_nll(n_group, 0), win_nll2(n_group, 0);
    std::vector<int64_t> win_count(n_group, 0);
    cache.clear();  // every window starts from an empty context
    for (int p0 = 0; p0 < p.n_ctx; p0 += piece) {
      batch.clear();
      targets.clear();
      owner.clear();
      for (size_t s = 0; s < n_group; ++s) {
        const Window& w = windows[g + s];
        for (int k = p0; k < std::min(p0 + piece, p.n_ctx); ++k) {
          const int32_t id = (k == 0 && with_bos) ? bos : tokens[size_t(w.start + k)];
          const bool scored = k >= w.score_from && k <= p.n_ctx - 2;
          batch.add(id, k, int32_t(s), scored);
          if (scored) {
            targets.push_back(tokens[size_t(w.start + k + 1)]);
            owner.push_back(int(s));
          }
        }
      }
      model.forward(batch, cache, logits);
      const int64_t n_out = int64_t(targets.size());
      row_nll.assign(size_t(n_out), 0);
      thread_pool().parallel_for(n_out, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          row_nll[size_t(i)] = token_nll(logits.data() + i * V, V, targets[size_t(i)]);
      });
      for (int64_t i = 0; i < n_out; ++i) {
        const double x = row_nll[size_t(i)];
        win_nll[size_t(owner[size_t(i)])] += x;
        win_nll2[size_t(owner[size_t(i)])] += x * x;
        ++win_count[size_t(owner[size_t(i)])];
      }
    }
    for (size_t s = 0; s < n_group; ++s) {
      nll_sum += win_nll[s];
      nll2_sum += win_nll2[s];
      r.count += win_count[s];
      if (on_progress) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        on_progress({int(g + s) + 1, r.n_windows, r.count, std::exp(nll_sum / double(r.count)), secs});
      }
    }
  }

  r.nll = nll_sum / double(r.count);
  r.ppl = std::exp(r.nll);
  const double var = nll2_sum / double(r.count) - r.nll * r.nll;
  if (r.count > 1 && var > 0) r.ppl_err = r.ppl * std::sqrt(var / double(r.count - 1));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace tock
