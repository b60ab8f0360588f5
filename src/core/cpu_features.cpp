#include "core/cpu_features.hpp"

#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TOCK_X86 1
#endif
#if defined(TOCK_X86) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#define TOCK_LINUX_X86 1
#endif

namespace tock {
namespace {

#ifdef TOCK_X86
struct Regs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t sub) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

uint64_t xgetbv0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return uint64_t(hi) << 32 | lo;
}

bool bit(uint32_t reg, int i) { return (reg >> i) & 1u; }
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef TOCK_X86
  const uint32_t max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 1) return f;
  const Regs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.c, 27);
  if (!osxsave) return f;
  const uint64_t xcr0 = xgetbv0();
  const bool os_avx = (xcr0 & 0x6) == 0x6;             // XMM + YMM state
  const bool os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;      // XTILECFG + XTILEDATA
  if (!os_avx) return f;
  f.fma = bit(l1.c, 12);
  f.f16c = bit(l1.c, 29);
  if (max_leaf < 7) return f;
  const Regs l7 = cpuid(7, 0);
  const Regs l7s1 = cpuid(7, 1);
  f.avx2 = bit(l7.b, 5);
  f.avx_vnni = bit(l7s1.a, 4);
  if (os_avx512) {
    f.avx512f = bit(l7.b, 16);
    f.avx512bw = bit(l7.b, 30);
    f.avx512vl = bit(l7.b, 31);
    f.avx512vnni = bit(l7.c, 11);
    f.avx512bf16 = bit(l7s1.a, 5);
  }
  if (os_amx) {
    f.amx_bf16 = bit(l7.d, 22);
    f.amx_tile = bit(l7.d, 24);
    f.amx_int8 = bit(l7.d, 25);
  }
#endif
  return f;
}

// Linux makes AMX tile data a per-process opt-in: without this request the first tile
// instruction faults. 0x1023 = ARCH_REQ_XCOMP_PERM, 18 = XFEATURE_XTILEDATA (asm/prctl.h).
bool request_amx_permission() {
#ifdef TOCK_LINUX_X86
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
  return false;
#endif
}

bool amx_allowed_by_env() {
  const char* env = std::getenv("TOCK_ISA");
  return !env || !*env || std::string_view(env) == "amx";
}

Isa capped_by_env(Isa best) {
  const char* env = std::getenv("TOCK_ISA");
  if (!env || !*env) return best;
  const Isa want = parse_isa(env);
  return int(want) < int(best) ? want : best;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

Isa detected_isa() {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  if (avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) return Isa::Avx512;
  if (avx2) return Isa::Avx2;
  return Isa::Scalar;
}

Isa active_isa() {
  static const Isa isa = capped_by_env(detected_isa());
  return isa;
}

bool amx_active() {
  static const bool active = [] {
    const CpuFeatures& f = cpu_features();
    if (!f.amx_tile || !f.amx_int8 || detected_isa() != Isa::Avx512 || !amx_allowed_by_env()) return false;
    return request_amx_permission();
  }();
  return active;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "unknown";
}

Isa parse_isa(std::string_view name) {
  if (name == "scalar") return Isa::Scalar;
  if (name == "avx2") return Isa::Avx2;
  if (name == "avx512" || name == "amx") return Isa::Avx512;
  fail("unknown ISA level '", name, "' (TOCK_ISA): expected scalar, avx2, avx512 or amx");
}

}  // namespace tock
