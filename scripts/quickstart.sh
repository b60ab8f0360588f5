#!/usr/bin/env bash
# The main job in one command: set up, build, fetch the default model, inspect it and generate
# text with it. TOCK_PROMPT overrides the prompt.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
export TOCK_PYTHON="$PWD/.venv/bin/python"
tock=build/release/tock
model="$($tock pull smollm2)"
$tock info "$model"
$tock tokenize -m "$model" "Tock turns every generated token into a tick of a clock."
echo "== tock run --chat: a reply from the default model"
$tock run -m "$model" --chat -p "${TOCK_PROMPT:-Write a short poem about clocks.}" -n 128
