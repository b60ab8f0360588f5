#!/usr/bin/env bash
# Installs what Tock needs (Debian packages, a project-local Python venv) and builds a preset.
# Idempotent: installs only what is missing, rebuilds only what changed.
# Usage: scripts/setup.sh [preset...]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  ccache  # compiler cache in ~/.cache/ccache: CMake uses it when present (TOCK_CCACHE)
  libpcre2-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev googletest
  python3 python3-venv python3-pip
  libutf8proc-dev  # Unicode NFC in text cleaning (tock data prepare)
  fortunes     # real English text for tests and examples
  python3-torch  # PyTorch 1.13 (CPU, small) for the trainer's gradient checks: run by /usr/bin/python3 (tests/python/test_train_gpt.py)
  chromium     # headless browser for the clock report and chat page tests
  libcpp-httplib-dev  # HTTP server of tock serve
  libbenchmark-dev    # Google Benchmark for bench/ kernel benchmarks
)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python reference tools (numpy, gguf, tokenizers, pytest) in .venv; pip's cache stays in ~/.cache/pip.
REQ=tests/python/requirements.txt
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages from $REQ into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" > "$stamp"
fi

presets=("$@")
((${#presets[@]})) || presets=(release)
for preset in "${presets[@]}"; do
  [ -f "build/$preset/build.ninja" ] || cmake --preset "$preset" >/dev/null
  echo "setup: building preset $preset"
  cmake --build --preset "$preset"
done
