#!/usr/bin/env bash
# The main job in one command: set up, build, fetch the default model, show it and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
export TOCK_PYTHON="$PWD/.venv/bin/python"
tock=build/release/tock
model="$($tock pull smollm2)"
$tock info "$model"
$tock tokenize -m "$model" "Tock turns every generated token into a tick of a clock."
