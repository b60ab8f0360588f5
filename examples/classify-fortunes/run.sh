#!/usr/bin/env bash
# Fortunes category classification, every row of README.md's table: the data, the bag-of-words
# baseline, a small transformer trained from scratch end to end, SmolLM2 frozen + trained head,
# SmolLM2 fine-tuned with LoRA (starting from the frozen run's head), each scored on test.tsv.
# Usage: examples/classify-fortunes/run.sh [OUT_DIR]   (from the repository root; build/release/tock)
# Time: ~1 CPU-hour on 2 cores (SmolLM2's training forward+backward is the slow part).
set -euo pipefail
OUT=${1:-/tmp/classify-fortunes}
TOCK=${TOCK:-build/release/tock}
MODEL=$($TOCK pull smollm2 | tail -1)
PY=.venv/bin/python
D="$OUT/data"
mkdir -p "$OUT"

# 10 categories; train <= 100, val <= 20, test <= 50 texts per category (958 / 177 / 415),
# each cut to 150 characters (~33 tokens; --seq 40 keeps nearly all of them whole).
$PY examples/classify-fortunes/make_tsv.py "$D" --max-per-class 100 --max-test-per-class 50 \
  --max-val-per-class 20 --max-chars 150

# (c) bag-of-words logistic regression (C chosen on val.tsv)
$PY examples/classify-fortunes/baseline.py "$D"

# (b) from scratch: a 2-layer Llama (dim 128, 4 heads, ff 384, SmolLM2's tokenizer and
# vocabulary), random init, trained end to end with the head: 800 steps of 16 texts (~13
# epochs); the best of README's five settings by val accuracy
$TOCK train --task classify --scratch --finetune --layers 2 --dim 128 --heads 4 --kv-heads 4 --ff 384 \
  --labels "$D/labels.txt" --data "$D/train.tsv" --val "$D/val.tsv" --init "$MODEL" --seq 40 \
  --batch 16 --steps 800 --lr 1e-3 --head-lr 1e-2 --weight-decay 0.1 --no-train-accuracy --out "$OUT/scratch"
$TOCK eval classify -m "$OUT/scratch/classifier.gguf" --data "$D/test.tsv" -b 16 --svg "$OUT/scratch/confusion.svg"

# (a) SmolLM2-135M-Instruct frozen (Q4_1 on the inference fast path), mean-pooled final hidden
# states -> linear head trained on them
$TOCK train --task classify --labels "$D/labels.txt" --data "$D/train.tsv" --val "$D/val.tsv" \
  --init "$MODEL" --seq 40 --batch 32 --steps 300 --lr 1e-2 --out "$OUT/frozen"
$TOCK eval classify -m "$OUT/frozen/classifier.gguf" --data "$D/test.tsv" -b 16 --svg "$OUT/frozen/confusion.svg"

# (d) SmolLM2 + LoRA (rank 8, alpha 16, q and v of all 30 layers), the head starting from (a)'s
# (linear probe, then fine-tune): 40 steps of 8 texts
$TOCK train --task classify --lora-rank 8 --lora-alpha 16 --head-init "$OUT/frozen/classifier.gguf" \
  --labels "$D/labels.txt" --data "$D/train.tsv" --init "$MODEL" --seq 40 --batch 8 --steps 40 \
  --lr 1e-3 --head-lr 3e-4 --weight-decay 0 --no-train-accuracy --out "$OUT/lora"
$TOCK eval classify -m "$OUT/lora/classifier.gguf" --adapter "$OUT/lora/adapter.gguf" \
  --data "$D/test.tsv" -b 16 --svg "$OUT/lora/confusion.svg"
