#!/usr/bin/env bash
# bench/train_vs_pytorch.sh: Tock's GPT trainer (bench_train_gpt) against the same model in
# PyTorch (bench/train_gpt_torch.py: eager, F.scaled_dot_product_attention where torch has it)
# at the same thread count, runs alternated (tock, torch, tock, torch, ...) so load drifts hit
# both; best median of the rounds. Prints a Markdown table with the ratio Tock/PyTorch and
# Tock's MFU, and on stderr each run's line (torch version, attention path, BLAS).
# PYTHON picks the torch: PyPI's wheel (MKL + oneDNN) is the fast one to compare with, e.g.
#   python3 -m venv ~/.cache/tock/torch-venv && ~/.cache/tock/torch-venv/bin/pip install torch
# (several GB with its CUDA libraries); Debian's python3-torch 1.13 (OpenBLAS) is much slower.
# Usage: bench/train_vs_pytorch.sh [BUILD_DIR=build/release] [THREADS=2] [ROUNDS=2] [STEPS=5]
#        CONFIGS="tiny small gpt2-124M" PYTHON=/usr/bin/python3 override through the environment.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build/release}"
threads="${2:-2}"
rounds="${3:-2}"
steps="${4:-5}"
configs="${CONFIGS:-tiny small gpt2-124M}"
python="${PYTHON:-/usr/bin/python3}"
tock_bin="${TOCK_BENCH_BIN:-$build/bench/bench_train_gpt}"
[[ -x "$tock_bin" ]] || { echo "no $tock_bin: cmake --build $build --target bench_train_gpt" >&2; exit 1; }
"$python" -c "import torch" 2>/dev/null || { echo "$python has no torch (see the header: PyPI's torch in a venv, or apt install python3-torch)" >&2; exit 1; }

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" | head -1; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "| config | threads | Tock tok/s | PyTorch tok/s | Tock/PyTorch | Tock MFU |"
echo "|---|---|---|---|---|---|"
for cfg in $configs; do
  best_tock=0 best_torch=0 mfu=0
  for ((r = 0; r < rounds; ++r)); do
    line="$("$tock_bin" --config "$cfg" --threads "$threads" --steps "$steps")"
    echo "  tock:  $line" >&2
    t="$(echo " $line" | field tok_s)"
    if [[ "$(max "$t" "$best_tock")" == "$t" ]]; then best_tock="$t"; mfu="$(echo " $line" | field mfu)"; fi
    line="$("$python" "$here/train_gpt_torch.py" --config "$cfg" --threads "$threads" --steps "$steps")"
    echo "  torch: $line" >&2
    best_torch="$(max "$(echo " $line" | field tok_s)" "$best_torch")"
  done
  ratio="$(awk -v a="$best_tock" -v b="$best_torch" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  echo "| $cfg | $threads | $best_tock | $best_torch | ${ratio}x | $mfu |"
done
