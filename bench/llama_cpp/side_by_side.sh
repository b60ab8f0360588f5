#!/usr/bin/env bash
# `tock bench` and llama.cpp's `llama-bench` on the same GGUF files, same threads, alternated
# round by round (one repetition each per round, so machine noise hits both alike), for
# pp512, tg128 and tg128 @ d1024. Prints a markdown table of medians and the tock/llama ratio.
#   bench/llama_cpp/side_by_side.sh [-t THREADS] [-r ROUNDS] [-b TOCK_BIN] MODEL.gguf...
#   env: LLAMA_BENCH (default: what build.sh builds), TESTS ("pp512 tg128 tg128@d1024");
#        OMP_WAIT_POLICY=passive keeps llama.cpp's OpenMP threads from spinning, which on a
#        machine busier than its cores (a shared dev box) slows it many times over.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
threads=2
rounds=3
tock_bin="${TOCK_BIN:-$here/../../build/release/tock}"
while getopts "t:r:b:" opt; do
  case $opt in
    t) threads=$OPTARG ;;
    r) rounds=$OPTARG ;;
    b) tock_bin=$OPTARG ;;
    *) echo "usage: $0 [-t THREADS] [-r ROUNDS] [-b TOCK_BIN] MODEL.gguf..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-t THREADS] [-r ROUNDS] [-b TOCK_BIN] MODEL.gguf..." >&2; exit 2; }
[ -x "$tock_bin" ] || { echo "side_by_side.sh: tock binary '$tock_bin' not found (-b PATH)" >&2; exit 1; }
llama_bench="${LLAMA_BENCH:-$("$here/build.sh")}"
[ -x "$llama_bench" ] || { echo "side_by_side.sh: llama-bench '$llama_bench' not found" >&2; exit 1; }
tests="${TESTS:-pp512 tg128 tg128@d1024}"

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), tock commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "llama-bench: $llama_bench ($("$llama_bench" --version 2>&1 | tr '\n' ' ')), OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# test spec -> "-p P -n N -d D"
flags() {
  local t=$1 d=0
  case $t in *@d*) d=${t#*@d}; t=${t%@d*} ;; esac
  case $t in
    pp*) echo "-p ${t#pp} -n 0 -d $d" ;;
    tg*) echo "-p 0 -n ${t#tg} -d $d" ;;
  esac
}

for model in "$@"; do
  [ -f "$model" ] || { echo "side_by_side.sh: model '$model' not found" >&2; exit 1; }
  for r in $(seq "$rounds"); do
    for t in $tests; do
      # shellcheck disable=SC2046
      "$tock_bin" bench -m "$model" $(flags "$t") -t "$threads" -r 1 --bw-rounds 0 --json \
        > "$out/tock.$(basename "$model").$t.$r.json"
      # shellcheck disable=SC2046
      "$llama_bench" -m "$model" $(flags "$t") -t "$threads" -r 1 -o json \
        > "$out/llama.$(basename "$model").$t.$r.json" 2> "$out/llama.err" \
        || { cat "$out/llama.err" >&2; exit 1; }
    done
  done
done

python3 - "$out" "$threads" "$rounds" "$@" <<'PY'
import glob, json, os, statistics, sys
out, threads, rounds, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def samples(tool, model, test):
    vals = []
    for path in sorted(glob.glob(os.path.join(out, f"{tool}.{os.path.basename(model)}.{test}.*.json"))):
        doc = json.load(open(path))
        rows = doc["results"] if tool == "tock" else doc
        for row in rows:
            vals.extend(row["samples_ts"])
    return vals

print(f"threads: {threads}, rounds: {rounds} (alternated, 1 repetition each); t/s median (min-max)")
print()
print("| model | test | tock t/s | llama.cpp t/s | tock / llama.cpp |")
print("|---|---|---:|---:|---:|")
tests = sorted({p.split(".")[-3] for p in glob.glob(os.path.join(out, "tock.*.json"))},
               key=lambda t: (t[:2] != "pp", len(t), t))
for model in models:
    for test in tests:
        a, b = samples("tock", model, test), samples("llama", model, test)
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        name = test.replace("@", " @ ")
        print(f"| {os.path.basename(model)} | {name} | {ma:.1f} ({min(a):.1f}-{max(a):.1f}) | "
              f"{mb:.1f} ({min(b):.1f}-{max(b):.1f}) | {ma / mb:.2f} |")
PY
