#include "runtime/generation.hpp"

#include <algorithm>

#include "clock/trace.hpp"
#include "core/error.hpp"
#include "runtime/stop_strings.hpp"
#include "text/streaming_decoder.hpp"

namespace tock {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
constexpr int32_t kSeq = 0;  // a session holds one sequence

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::length: return "length";
    case StopReason::eos: return "eos";
    case StopReason::stop_string: return "stop";
    case StopReason::context_full: return "context_full";
    case StopReason::cancelled: return "cancelled";
  }
  return "?";
}

Session::Session(Model& model, const Tokenizer& tokenizer, SamplerParams sampling,
                 int64_t max_positions)
    : model_(model), tok_(tokenizer), sampler_(sampling), cache_(model.make_cache(max_positions)) {
  if (tokenizer.vocab_size() > model.config().n_vocab)
    fail("tokenizer has ", tokenizer.vocab_size(), " tokens, the model's output only ",
         model.config().n_vocab);
  cache_.add_sequence(kSeq);
}

void Session::reset() {
  cache_.free_sequence(kSeq);
  cache_.add_sequence(kSeq);
  sampler_.reset();
  n_past_ = 0;
  logits_.clear();
}

void Session::feed(std::span<const int32_t> tokens, int prefill_chunk) {
  if (tokens.empty()) return;
  if (n_past_ + int64_t(tokens.size()) > cache_.max_positions())
    fail("prompt too long: ", n_past_, " tokens in context + ", tokens.size(), " new exceed the context of ",
         cache_.max_positions(), " tokens");
  const auto t0 = Clock::now();
  clock::begin_tick(clock::Phase::prefill, int64_t(tokens.size()), n_past_);  // the clock's hooks
  clock::input_tokens(tokens, tok_);
  const size_t chunk = size_t(std::max(1, prefill_chunk));
  Batch batch;
  for (size_t start = 0; start < tokens.size(); start += chunk) {
    const size_t end = std::min(tokens.size(), start + chunk);
    batch.clear();
    for (size_t i = start; i < end; ++i)
      batch.add(tokens[i], int32_t(n_past_ + int64_t(i - start)), kSeq, i + 1 == tokens.size());
    model_.forward(batch, cache_, logits_);
    n_past_ += int64_t(end - start);
    tokens_processed_ += int64_t(end - start);
  }
  for (int32_t t : tokens) sampler_.accept(t);
  last_feed_seconds_ = seconds_since(t0);
  last_feed_tokens_ = int64_t(tokens.size());
}

GenerationStats Session::generate(const GenerateParams& params,
                                  const std::function<bool(std::string_view)>& on_text,
                                  const std::function<bool()>& cancelled) {
  if (logits_.empty()) fail("generate: nothing was fed to the session");
  GenerationStats stats;
  stats.prompt_tokens = last_feed_tokens_;
  stats.prompt_seconds = last_feed_seconds_;
  last_feed_tokens_ = 0;
  last_feed_seconds_ = 0;

  StreamingDecoder decoder(tok_, /*skip_special=*/true);
  StopStrings stops(params.stop);
  bool keep_going = true;
  auto emit = [&](const std::string& text) {
    if (!text.empty() && keep_going && !on_text(text)) keep_going = false;
  };

  const auto t0 = Clock::now();
  stats.stop = StopReason::length;
  for (int i = 0; params.max_tokens < 0 || i < params.max_tokens; ++i) {
    if (cancelled && cancelled()) { stats.stop = StopReason::cancelled; break; }
    clock::Span sample_span("sample");
    const int32_t token = sampler_.sample(std::span<const float>(logits_.data(), logits_.size()));
    sample_span.end();
    clock::moment(std::span<const float>(logits_.data(), logits_.size()), token, sampler_.candidates(), tok_);
    clock::end_tick(n_past_, n_past_ * cache_.bytes_per_position());
    sampler_.accept(token);
    stats.tokens.push_back(token);
    if (!params.ignore_eos && tok_.is_eog(token)) { stats.stop = StopReason::eos; break; }
    emit(stops.push(decoder.push(token)));
    if (stops.stopped()) { stats.stop = StopReason::stop_string; break; }
    if (!keep_going) { stats.stop = StopReason::cancelled; break; }
    if (n_past_ >= cache_.max_positions()) { stats.stop = StopReason::context_full; break; }
    // The last token allowed: no forward pass for it, its logits would never be used.
    if (params.max_tokens >= 0 && i + 1 >= params.max_tokens) break;
    // The next tick: process the sampled token to get the next position's logits.
    clock::begin_tick(clock::Phase::decode, 1, n_past_);
    Batch batch;
    batch.add(token, int32_t(n_past_), kSeq, true);
    model_.forward(batch, cache_, logits_);
    ++n_past_;
    ++tokens_processed_;
    ++stats.tokens_in_cache;
  }
  clock::end_tick(n_past_, n_past_ * cache_.bytes_per_position());  // closes a tick left open, if any
  if (stats.stop != StopReason::stop_string) emit(stops.push(decoder.flush()) + stops.flush());
  stats.generate_seconds = seconds_since(t0);
  return stats;
}

GenerationStats Session::run(std::string_view prompt, const GenerateParams& params,
                             const std::function<bool(std::string_view)>& on_text,
                             const std::function<bool()>& cancelled) {
  const std::vector<int32_t> ids = tok_.encode(prompt, {.add_special = true, .parse_special = true});
  if (ids.empty()) fail("the prompt is empty (no tokens)");
  feed(ids, params.prefill_chunk);
  return generate(params, on_text, cancelled);
}

}  // namespace tock
