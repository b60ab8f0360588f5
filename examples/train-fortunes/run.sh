#!/usr/bin/env bash
# Trains a ~1.3M-parameter GPT-2-style model on Debian's fortunes corpus (~2.6 MB of English
# quotations, package `fortunes`) and compares its validation loss with the unigram baseline.
# Usage: examples/train-fortunes/run.sh [WORKDIR] (default /tmp/tock-fortunes). TOCK=path/to/tock
# picks the binary (default build/release/tock). STEPS, THREADS override the run length/threads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TOCK=${TOCK:-$root/build/release/tock}
W=${1:-/tmp/tock-fortunes}
STEPS=${STEPS:-300}
THREADS=${THREADS:-2}
mkdir -p "$W"
files=$(ls /usr/share/games/fortunes/* | grep -v -e '\.dat$' -e '\.u8$')

# 1. A byte-level BPE vocabulary of 4096 tokens, then token shards with a 5% validation split.
"$TOCK" tokenizer train --vocab-size 4096 $files -o "$W/tok.gguf"
"$TOCK" data prepare --tokenizer "$W/tok.gguf" $files -o "$W/data"

# 2. The unigram baseline: validation cross-entropy under the train split's token frequencies
#    (add-one smoothed). A model that learns nothing about context cannot beat it.
py=$root/.venv/bin/python
[ -x "$py" ] || py=python3
"$py" - "$W/data" <<'PY'
import json, sys
import numpy as np
d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
def tokens(split):
    return np.concatenate([np.fromfile(f"{d}/{s}", dtype=np.uint16, offset=24) for s in meta[split]["shards"]])
V = meta["tokenizer"]["vocab_size"]
counts = np.bincount(tokens("train"), minlength=V) + 1.0
p = counts / counts.sum()
print(f"unigram baseline: val loss {-np.log(p[tokens('val')]).mean():.4f} nats/token")
PY

# 3. Train: 4 layers, dim 128, 4 heads, 64-token windows, 8 per step; cosine LR with warmup.
rm -rf "$W/run"
"$TOCK" train --data "$W/data" --tokenizer "$W/tok.gguf" --layers 4 --dim 128 --heads 4 --seq 64 --batch 8 \
  --steps "$STEPS" --lr 3e-3 --warmup 20 --eval-every 50 --eval-batches 8 --sample-every 100 --sample-tokens 48 \
  --checkpoint-every 100 --seed 1 -t "$THREADS" --out "$W/run"

# 4. The exported model runs in Tock's inference.
"$TOCK" run -m "$W/run/model.gguf" -p "The" -n 40 --temp 0.8 --seed 1 --ignore-eos
