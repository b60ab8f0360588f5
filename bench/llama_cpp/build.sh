#!/usr/bin/env bash
# Build llama.cpp's llama-bench (CPU only) for side-by-side numbers with `tock bench`, or,
# with TARGET=llama-server, its HTTP server for side-by-side numbers with `tock serve`
# (bench/serve_bench.py --url).
# llama.cpp's source is taken from the PyPI sdist of llama-cpp-python (vendor/llama.cpp),
# because PyPI is the only source registry reachable here. Idempotent: a finished build is
# reused; re-running after a failure resumes from the downloaded sdist.
#   env: LLAMA_CPP_PYTHON_VERSION (default below), TOCK_LLAMA_DIR (default ~/.cache/tock/llama.cpp),
#        JOBS (default 2), TARGET (llama-bench or llama-server; default llama-bench)
set -euo pipefail

version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
root="${TOCK_LLAMA_DIR:-$HOME/.cache/tock/llama.cpp}"
jobs="${JOBS:-2}"
target="${TARGET:-llama-bench}"
case "$target" in
  llama-bench) server=OFF ;;
  llama-server) server=ON ;;
  *) echo "build.sh: TARGET '$target' is not llama-bench or llama-server" >&2; exit 1 ;;
esac
pip="${PIP:-$(dirname "$0")/../../.venv/bin/pip}"
[ -x "$pip" ] || pip="python3 -m pip"

src="$root/llama_cpp_python-$version/vendor/llama.cpp"
build="$root/build-$version"
bin="$build/bin/$target"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$root"
sdist="$root/llama_cpp_python-$version.tar.gz"
if [ ! -f "$sdist" ]; then
  $pip download --no-deps --no-binary :all: -d "$root" "llama-cpp-python==$version" >&2
  # pip names sdists with either spelling; normalise to one name.
  for cand in "$root"/llama_cpp_python-"$version".tar.gz "$root"/llama-cpp-python-"$version".tar.gz; do
    [ -f "$cand" ] && [ "$cand" != "$sdist" ] && mv "$cand" "$sdist"
  done
fi
# Checksum: recorded on first download, verified on every later run (catches a truncated or
# replaced archive; the first download is trusted through pip's own hash check against PyPI).
sum_file="$sdist.sha256"
if [ -f "$sum_file" ]; then
  (cd "$root" && sha256sum -c "$(basename "$sum_file")" >&2)
else
  (cd "$root" && sha256sum "$(basename "$sdist")" > "$(basename "$sum_file")")
fi
if [ ! -d "$src" ]; then
  tar -xzf "$sdist" -C "$root"
fi
[ -f "$src/CMakeLists.txt" ] || { echo "build.sh: $src/CMakeLists.txt missing: sdist $sdist has no vendor/llama.cpp" >&2; exit 1; }

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc-12 -DCMAKE_CXX_COMPILER=g++-12 \
  -DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_OPENMP=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=$server \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DBUILD_SHARED_LIBS=OFF >&2
# The server needs no network at build time: its web UI is neither built (npm) nor fetched.
nice -n 19 cmake --build "$build" -j "$jobs" --target "$target" >&2
[ -x "$bin" ] || { echo "build.sh: $bin was not produced" >&2; exit 1; }
echo "$bin"
