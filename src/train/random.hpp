// Small deterministic random numbers for data handling, identical on every platform (the
// standard library's distributions are not). SplitMix64: Steele, Lea, Flood, "Fast
// splittable pseudorandom number generators" (2014); the mix function is its finaliser.
#pragma once
#include <cstdint>

namespace tock {

// A stateless hash of 64 bits, good enough to turn (seed, counter) into a random word.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Counter-based: the k-th value for a seed is a pure function of (seed, k).
inline uint64_t random_at(uint64_t seed, uint64_t k) {
  return mix64(mix64(seed) + (k + 1) * 0x9E3779B97F4A7C15ull);
}

// Uniform in [0, n) by multiply-shift (Lemire); the bias is below n / 2^64.
inline uint64_t reduce_below(uint64_t x, uint64_t n) {
  return uint64_t((unsigned __int128)x * n >> 64);
}

struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() { return mix64(state += 0x9E3779B97F4A7C15ull); }
  uint64_t below(uint64_t n) { return reduce_below(next(), n); }
};

}  // namespace tock
