// Machine and process facts that put `tock bench` speeds in context: a STREAM-like memory
// bandwidth probe (the roofline of decode, which reads every weight once per token), the weight
// bytes a decode step reads, and the process's resident memory.
// Not here: cache-size sweeps or latency probes (this answers one question: how close is decode
// to the memory bound on this machine, with these threads).
#pragma once
#include <cstddef>
#include <cstdint>

#include "io/gguf.hpp"

namespace tock {

// STREAM triad a[i] = b[i] + s*c[i] over three float arrays of working_set_bytes in total, on
// the thread pool (its current size), best of `rounds`; counts 3 x 4 bytes per element (two
// reads, one write, as STREAM does). Returns bytes per second.
double triad_bandwidth(size_t working_set_bytes, int rounds);

// Bytes of weights one decode step reads: every tensor once, except the token embedding, of
// which one row is read (unless it doubles as the output matrix, when it is read whole).
size_t decode_weight_bytes(const GgufFile& file);
// Parameters (elements) of all tensors.
int64_t parameter_count(const GgufFile& file);

struct MemoryUsage {
  int64_t rss_kib = 0;   // VmRSS: resident now
  int64_t hwm_kib = 0;   // VmHWM: resident peak
};
// From /proc/self/status; zeros where it cannot be read (non-Linux).
MemoryUsage memory_usage();

}  // namespace tock
