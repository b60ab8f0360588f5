#!/usr/bin/env bash
# All tests in one command: set up, build (release + sanitizers), fetch the default model, run
# unit tests, reference checks (Python) and the fuzz smoke test under ASan/UBSan.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release || exit 1
# The sanitizer build needs only the unit-test binaries (the Python checks use the release build).
[ -f build/asan/build.ninja ] || cmake --preset asan >/dev/null || exit 1
asan_targets=$(ninja -C build/asan -t targets all | grep -Eo '^test_[a-z0-9_]+:' | tr -d ':' | sort -u)
echo "setup: building preset asan (unit tests: $(echo $asan_targets))"
cmake --build build/asan --target $asan_targets || exit 1
export TOCK_PYTHON="$PWD/.venv/bin/python"
export TOCK_MODEL="$(build/release/tock pull smollm2)" || exit 1

log_release=build/release/ctest.log
log_asan=build/asan/ctest.log
jobs="$(nproc)"
echo "== release build: unit tests and reference checks"
ctest --preset release -j "$jobs" 2>&1 | tee "$log_release"
rc1=${PIPESTATUS[0]}
echo "== asan build: unit tests and fuzz smoke test under AddressSanitizer + UBSan"
ctest --preset asan -j "$jobs" -E '^py\.' 2>&1 | tee "$log_asan"
rc2=${PIPESTATUS[0]}

# One closing line over both runs.
count() { grep -Eo "tests passed, [0-9]+ tests failed out of [0-9]+" "$1" | tail -1; }
total=0; failed=0
for log in "$log_release" "$log_asan"; do
  line="$(count "$log")"
  [ -n "$line" ] || { echo "no ctest summary in $log"; exit 1; }
  f="$(echo "$line" | awk '{print $3}')"; n="$(echo "$line" | awk '{print $NF}')"
  total=$((total + n)); failed=$((failed + f))
done
echo "tests: $((total - failed)) passed, $failed failed"
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
