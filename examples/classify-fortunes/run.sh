#!/usr/bin/env bash
# Fortunes category classification: data, bag-of-words baseline, SmolLM2 (frozen backbone +
# trained head), the same architecture with random weights, and their evaluation.
# Usage: examples/classify-fortunes/run.sh [OUT_DIR]   (from the repository root; build/release/tock)
set -euo pipefail
OUT=${1:-/tmp/classify-fortunes}
TOCK=${TOCK:-build/release/tock}
MODEL=$($TOCK pull smollm2 | tail -1)
PY=.venv/bin/python
mkdir -p "$OUT"

# 10 categories; 30 train / 15 val / 15 test texts per category, each cut to 120 characters
# (the 2-core budget: SmolLM2's f32 training forward runs ~20-40 tokens/s on a shared machine).
$PY examples/classify-fortunes/make_tsv.py "$OUT/data" --max-per-class 30 --max-test-per-class 15 --max-chars 120

# (c) bag-of-words logistic regression
$PY examples/classify-fortunes/baseline.py "$OUT/data"

# (a) SmolLM2-135M-Instruct, frozen, mean-pooled final hidden states -> trained linear head
$TOCK train --task classify --labels "$OUT/data/labels.txt" --data "$OUT/data/train.tsv" \
  --init "$MODEL" --seq 32 --batch 32 --steps 300 --lr 1e-2 --out "$OUT/smollm2" -q
$TOCK eval classify -m "$OUT/smollm2/classifier.gguf" --data "$OUT/data/test.tsv" -b 16 \
  --svg "$OUT/smollm2/confusion.svg"

# (b) the same architecture with random weights (seed 1337), same head training
$TOCK train --task classify --scratch --labels "$OUT/data/labels.txt" --data "$OUT/data/train.tsv" \
  --init "$MODEL" --seq 32 --batch 32 --steps 300 --lr 1e-2 --out "$OUT/scratch" -q
$TOCK eval classify -m "$OUT/scratch/classifier.gguf" --data "$OUT/data/test.tsv" -b 16 \
  --svg "$OUT/scratch/confusion.svg"

# (d) SmolLM2 fully fine-tuned (backbone + head, 24 steps of 8 texts: 192 texts, 0.64 epoch)
$TOCK train --task classify --finetune --labels "$OUT/data/labels.txt" --data "$OUT/data/train.tsv" \
  --init "$MODEL" --seq 32 --batch 8 --steps 24 --lr 5e-5 --head-lr 1e-2 --weight-decay 0 --out "$OUT/finetune"
$TOCK eval classify -m "$OUT/finetune/classifier.gguf" --data "$OUT/data/test.tsv" -b 16 \
  --svg "$OUT/finetune/confusion.svg"
