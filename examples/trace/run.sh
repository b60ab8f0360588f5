#!/usr/bin/env bash
# Trace one generation with the clock and turn the trace into an HTML report.
# Usage: examples/trace/run.sh [OUT_DIR] [PROMPT]   (default: ./tock-trace, a question about the moon)
# TOCK names the tock binary (default: build/release/tock of this checkout, else `tock` on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TOCK=${TOCK:-$root/build/release/tock}
[ -x "$TOCK" ] || TOCK=$(command -v tock) || { echo "tock not found: build it (README) or set TOCK" >&2; exit 1; }
out=${1:-tock-trace}
prompt=${2:-"Tell me about the moon."}
mkdir -p "$out"

model=$("$TOCK" pull smollm2)
# --trace: a Chrome trace-event JSON of every tick (per layer and op) with each tick's moment
# (the probabilities the sampler weighed); --trace-attention=20-29: the last ten layers'
# attention weights too (all layers make the file several times larger); --metrics: TTFT and
# inter-token latency percentiles on stderr.
"$TOCK" run -m "$model" --chat -p "$prompt" -n 48 --temp 0.8 --seed 7 \
  --trace "$out/run.json" --trace-attention=20-29 --metrics
"$TOCK" report "$out/run.json" -o "$out/report.html"
echo >&2
echo "trace:  $out/run.json   (open in https://ui.perfetto.dev or chrome://tracing)" >&2
echo "report: $out/report.html (open in a browser; it needs no network)" >&2
