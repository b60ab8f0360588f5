// CPU feature detection: levels are consistent with the features, and names round-trip.
#include <gtest/gtest.h>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace tock {
namespace {

TEST(CpuFeatures, DetectedLevelImpliesItsFeatures) {
  const CpuFeatures& f = cpu_features();
  const Isa isa = detected_isa();
  if (int(isa) >= int(Isa::Avx2)) {
    EXPECT_TRUE(f.avx2 && f.fma && f.f16c);
  }
  if (isa == Isa::Avx512) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
  }
  EXPECT_LE(int(active_isa()), int(isa));
  // Wider features imply the narrower ones the OS must also enable.
  if (f.avx512f) {
    EXPECT_TRUE(f.avx2);
  }
}

TEST(CpuFeatures, IsaNamesRoundTrip) {
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_THROW(parse_isa("sse9"), Error);
}

}  // namespace
}  // namespace tock
