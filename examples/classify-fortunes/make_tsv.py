"""Makes the fortunes classification data set: one record of /usr/share/games/fortunes/<category>
per row, label = the category file. Writes train.tsv, val.tsv, test.tsv (label \\t text) and
labels.txt into OUT. The split is by a hash of the text (sha256, so it is the same on every
machine and Python version): bucket = first 8 bytes mod 100, < 70 train, < 80 val, else test.
Texts are cleaned like the training corpus (tests/python/train_corpus.py), whitespace is
collapsed to single spaces (a TSV row is one line) and cut to --max-chars characters. Each
split keeps at most --max-per-class records per label, the lowest hashes first, so the
subset is deterministic too. Usage: make_tsv.py OUT [--max-per-class N] [--max-test-per-class N]
[--max-val-per-class N] [--max-chars N]"""
import argparse
import hashlib
import os
import unicodedata

FORTUNES = "/usr/share/games/fortunes"
CATEGORIES = ["computers", "food", "law", "medicine", "politics", "science", "sports", "startrek",
              "work", "zippy"]


def clean(raw: bytes) -> str:
    s = raw.decode("utf-8", "replace")
    s = "".join(c for c in s if not ((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F))
    return unicodedata.normalize("NFC", s)


def records(path):
    with open(path, "rb") as f:
        text = clean(f.read())
    out, cur = [], []
    for line in text.splitlines():
        if line == "%":
            out.append(" ".join(cur))
            cur = []
        else:
            cur.append(line)
    out.append(" ".join(cur))
    return [" ".join(r.split()) for r in out if r.strip()]


def bucket(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 100


def split_of(text: str) -> str:
    b = bucket(text)
    return "train" if b < 70 else "val" if b < 80 else "test"


def make(out_dir, max_per_class, max_chars, limits=None):
    os.makedirs(out_dir, exist_ok=True)
    rows = {"train": [], "val": [], "test": []}
    seen = set()
    for cat in CATEGORIES:
        per = {"train": [], "val": [], "test": []}
        for r in records(os.path.join(FORTUNES, cat)):
            r = r[:max_chars]
            if r in seen:  # a quotation filed twice would leak across splits or labels
                continue
            seen.add(r)
            per[split_of(r)].append(r)
        for s, items in per.items():
            items.sort(key=lambda t: (hashlib.sha256(t.encode("utf-8")).digest(), t))
            cap = (limits or {}).get(s, max_per_class)
            rows[s] += [(cat, t) for t in items[:cap]]
    for s, items in rows.items():
        items.sort(key=lambda lt: hashlib.sha256(lt[1].encode("utf-8")).digest())  # mixed labels
        with open(os.path.join(out_dir, f"{s}.tsv"), "w", encoding="utf-8") as f:
            for label, text in items:
                f.write(f"{label}\t{text}\n")
    with open(os.path.join(out_dir, "labels.txt"), "w") as f:
        f.write("".join(c + "\n" for c in CATEGORIES))
    return {s: len(v) for s, v in rows.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--max-per-class", type=int, default=100)
    ap.add_argument("--max-test-per-class", type=int, default=40)
    ap.add_argument("--max-val-per-class", type=int, default=None, help="default: the test cap")
    ap.add_argument("--max-chars", type=int, default=300)
    a = ap.parse_args()
    n = make(a.out, a.max_per_class, a.max_chars,
             {"train": a.max_per_class,
              "val": a.max_test_per_class if a.max_val_per_class is None else a.max_val_per_class,
              "test": a.max_test_per_class})
    print(" ".join(f"{k}={v}" for k, v in n.items()))
