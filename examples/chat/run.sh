#!/usr/bin/env bash
# Chat with the default model (SmolLM2-135M-Instruct, Q4_1) in the terminal.
# Usage: examples/chat/run.sh [extra `tock chat` flags, e.g. --system "Be brief." --temp 0.7]
# TOCK names the tock binary (default: build/release/tock of this checkout, else `tock` on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TOCK=${TOCK:-$root/build/release/tock}
[ -x "$TOCK" ] || TOCK=$(command -v tock) || { echo "tock not found: build it (README) or set TOCK" >&2; exit 1; }

# Downloads the model once into ~/.cache/tock/models (checksum verified) and prints its path.
model=$("$TOCK" pull smollm2)
echo "model: $model" >&2
echo "type a message; /reset forgets the conversation, /exit quits, Ctrl-C stops a reply" >&2
exec "$TOCK" chat -m "$model" "$@"
