// libFuzzer target for the GGUF reader: any input must parse or throw tock::Error; when it parses,
// every small enough tensor is dequantized too (reads exactly the bytes the reader vouched for).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "io/gguf.hpp"
#include "kernels/dequant.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const tock::GgufFile f = tock::GgufFile::parse(data, size, "fuzz.gguf");
    for (const auto& t : f.tensors())
      if (tock::can_dequantize(t.type) && t.nbytes <= (1u << 20)) {
        const std::vector<float> y = tock::dequantize(f.view(t));
        (void)y;
      }
  } catch (const tock::Error&) {
  }
  return 0;
}
