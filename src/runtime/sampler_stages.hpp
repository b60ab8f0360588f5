// The stages of the sampler chain as plain functions over a list of candidate tokens, so each one
// can be tested on hand-made logits. sampler.hpp strings them together in llama.cpp's order.
// Not here: the random number generator, the token history (both live in Sampler).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace tock {

// One candidate token: its (possibly penalised, filtered, tempered) logit and, once softmax has
// run, its probability.
struct TokenProb {
  int32_t id = 0;
  float logit = 0.0f;
  float p = 0.0f;
};
using Candidates = std::vector<TokenProb>;

// The total order used wherever candidates are ranked: higher logit first, ties by lower id. A
// total order makes every stage's result (and so every draw) the same on every standard library.
inline bool ranks_before(const TokenProb& a, const TokenProb& b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}

// Fills `out` with every token of `logits` in vocabulary order (p left at 0).
void make_candidates(std::span<const float> logits, Candidates& out);

// Repetition, frequency and presence penalties (llama.cpp llama_sampler_penalties; the repetition
// rule is CTRL's, Keskar et al. 2019, as fixed in llama.cpp for negative logits). For each distinct
// token t occurring count(t) times in `recent`:
//   logit[t] = logit[t] > 0 ? logit[t] / repeat : logit[t] * repeat
//   logit[t] -= count(t) * frequency + (count(t) > 0) * presence
// Tokens of `recent` outside the vocabulary are ignored. repeat = 1, frequency = presence = 0 is a
// no-op.
void apply_penalties(std::span<float> logits, std::span<const int32_t> recent, float repeat,
                     float frequency, float presence);

// The k highest-ranked tokens of `logits`, sorted by ranks_before: what make_candidates and then
// keep_top_k give, in one pass over the logits with a k-entry heap (no 12-byte candidate per
// vocabulary entry: at k = 40 over 49152 logits that was most of a draw's time). k <= 0 or
// k >= size: every token, as make_candidates. A NaN logit is an Error.
void top_k_candidates(std::span<const float> logits, int k, Candidates& out);

// Keeps the k highest-ranked candidates, sorted by ranks_before. k <= 0 or k >= size: no-op.
// The plain form top_k_candidates is tested against.
// Costs O(n + k log k): the 150k-entry vocabulary is never fully sorted.
void keep_top_k(Candidates& c, int k);

// Nucleus filter (Holtzman et al. 2019, as llama.cpp): with probabilities from a softmax over the
// current candidates at temperature 1, keeps the smallest highest-ranked prefix whose cumulative
// probability reaches p (at least one token); the result is sorted by ranks_before.
// p >= 1: no-op. Sorts only as much of the list as the prefix needs.
void keep_top_p(Candidates& c, float p);

// Min-p filter (Nguyen et al. 2024, as llama.cpp): keeps candidates whose probability is at least
// m times the largest one, i.e. logit >= max_logit + ln(m). Keeps the order. m <= 0: no-op.
void keep_min_p(Candidates& c, float m);

// Divides every logit by t (t > 0): t < 1 sharpens, t > 1 flattens.
void apply_temperature(Candidates& c, float t);

// p_i = exp(logit_i - max) / sum_j exp(logit_j - max). Throws if the list is empty or every logit
// is -inf (no token can be drawn).
void softmax(Candidates& c);

// Inverse-CDF draw: the first candidate, in list order, whose cumulative probability exceeds
// u * (sum of p). u in [0, 1).
int32_t draw(const Candidates& c, double u);

// Index of the largest value, ties to the lowest index (greedy decoding). Throws if empty.
int32_t argmax(std::span<const float> logits);

}  // namespace tock
