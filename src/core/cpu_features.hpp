// What the CPU (and the OS, for the wide register state) lets us run: cpuid + xgetbv,
// read once. Kernels pick an ISA level from this at run time; the build stays portable.
// Also the one-time AMX permission request (arch_prctl) the Linux kernel wants before a process
// may touch tile registers. Not here: the kernels themselves (src/kernels) or tile configuration
// (each thread loads its own, in the AMX kernels).
#pragma once
#include <string_view>

namespace tock {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false, avx512bf16 = false;
  bool avx_vnni = false;  // the VEX (256-bit) form of vpdpbusd
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;
};

// Detected once, on first call; the OS must have enabled the register state (XCR0).
const CpuFeatures& cpu_features();

// The SIMD levels Tock's kernels are written for, lowest first.
//   Scalar: plain C++.  Avx2: AVX2 + FMA + F16C.  Avx512: F + BW + VL + VNNI (+ Avx2's).
enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

Isa detected_isa();      // the best level the machine supports
Isa active_isa();        // detected_isa() capped by env TOCK_ISA=scalar|avx2|avx512|amx (read once)
std::string_view isa_name(Isa isa);
// Parses "scalar", "avx2", "avx512" ("amx" is Avx512 with AMX allowed); throws Error naming the
// bad value otherwise.
Isa parse_isa(std::string_view name);

// True when the AVX-512 kernels may use AMX int8 tiles: the CPU and OS have AMX-TILE and
// AMX-INT8, detected_isa() is Avx512, TOCK_ISA is unset or "amx" (any other value forces the
// non-AMX paths), and the kernel granted XTILEDATA (arch_prctl ARCH_REQ_XCOMP_PERM, asked once
// on the first call; refused -> false).
bool amx_active();

}  // namespace tock
