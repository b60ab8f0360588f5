// The sequence-classification head: pooling of a transformer's final normed hidden states
// (mean over a sequence's real tokens, or its last token) → linear (K labels × C) + bias →
// softmax cross-entropy against the label. Forward and backward as plain functions on
// row-major f32 arrays, so the same code trains on cached features or on a live backbone.
// Sequences in a batch are right-padded to T; with causal attention the padding never
// reaches a real token, so pooling over the first lengths[b] positions is exact.
#pragma once
#include <cstdint>
#include <string>

namespace tock {

enum class Pooling { mean, last };
Pooling parse_pooling(const std::string& name);  // "mean" or "last"; Error names the value
const char* pooling_name(Pooling p);

// pooled (B, C) from hidden (B, T, C); lengths (B) each in 1..T.
void classify_pool_forward(float* pooled, const float* hidden, const int32_t* lengths,
                           int64_t B, int64_t T, int64_t C, Pooling pooling);
// dhidden (B, T, C) = d pooled / d hidden · dpooled (overwritten; padding rows get zero).
void classify_pool_backward(float* dhidden, const float* dpooled, const int32_t* lengths,
                            int64_t B, int64_t T, int64_t C, Pooling pooling);

// probs (B, K) = softmax(pooled · wᵀ + bias); w (K, C), bias (K). With labels (B) the mean
// cross-entropy over B is returned, else 0.
float classify_head_forward(float* probs, const float* pooled, const float* w, const float* bias,
                            const int32_t* labels, int64_t B, int64_t C, int64_t K);
// Adds d(mean loss)/dw to dw (K, C) and /dbias to dbias (K); writes dpooled (B, C) unless null.
void classify_head_backward(float* dw, float* dbias, float* dpooled, const float* probs,
                            const float* pooled, const float* w, const int32_t* labels,
                            int64_t B, int64_t C, int64_t K);

}  // namespace tock
