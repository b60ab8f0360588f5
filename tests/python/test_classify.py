"""tock eval classify's metrics against scikit-learn on a fixed prediction set, its SVG chart,
and the fortunes data set split (examples/classify-fortunes/make_tsv.py) being deterministic."""
import importlib.util
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from tock_paths import SOURCE_DIR, tock

LABELS = ["alpha", "beta", "gamma", "delta", "eps"]


def test_metrics_match_sklearn(tmp_path):
    rng = np.random.default_rng(8)
    gold = rng.integers(0, 5, 97)
    pred = np.where(rng.random(97) < 0.6, gold, rng.integers(0, 5, 97))
    pred[pred == 4] = 3  # a class never predicted: precision 0 by sklearn's zero_division=0
    # A sixth label that occurs nowhere: scikit-learn's macro average leaves it out.
    (tmp_path / "labels.txt").write_text("".join(l + "\n" for l in LABELS + ["unused"]))
    (tmp_path / "pred.tsv").write_text("".join(f"{LABELS[g]}\t{LABELS[p]}\n" for g, p in zip(gold, pred)))
    svg = tmp_path / "cm.svg"
    out = tock("eval", "classify", "--predictions", str(tmp_path / "pred.tsv"),
               "--labels", str(tmp_path / "labels.txt"), "--svg", str(svg)).stdout
    acc = float(re.search(r"accuracy ([0-9.]+)", out).group(1))
    assert abs(acc - accuracy_score(gold, pred)) < 1e-4
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=range(5), zero_division=0)
    for k, name in enumerate(LABELS):
        row = re.search(rf"^{name}\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)$", out, re.M)
        assert row, out
        got = [float(row.group(i)) for i in (1, 2, 3)]
        np.testing.assert_allclose(got, [p[k], r[k], f[k]], atol=1e-4)
        assert int(row.group(4)) == s[k]
    macro = re.search(r"^macro avg\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", out, re.M)
    pm, rm, fm, _ = precision_recall_fscore_support(gold, pred, average="macro", zero_division=0)
    np.testing.assert_allclose([float(macro.group(i)) for i in (1, 2, 3)], [pm, rm, fm], atol=1e-4)
    cm = confusion_matrix(gold, pred, labels=range(5))
    lines = out.split("confusion matrix (rows: true, columns: predicted)\n")[1].splitlines()
    got_cm = [[int(v) for v in line.split()[1:6]] for line in lines[:5]]
    assert got_cm == cm.tolist()
    # The chart: valid XML, one cell per (true, predicted) with its count.
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    cells = [e for e in root.iter(ns + "rect") if e.get("stroke")]
    assert len(cells) == 36
    counts = [int(t.text) for t in root.iter(ns + "text") if t.get("text-anchor") == "middle"]
    assert counts == confusion_matrix(gold, pred, labels=range(6)).flatten().tolist()


def load_make_tsv():
    path = os.path.join(SOURCE_DIR, "examples", "classify-fortunes", "make_tsv.py")
    spec = importlib.util.spec_from_file_location("make_tsv", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fortunes_split_is_deterministic(tmp_path):
    mt = load_make_tsv()
    a, b = tmp_path / "a", tmp_path / "b"
    na = mt.make(str(a), 20, 100, {"train": 20, "val": 5, "test": 5})
    nb = mt.make(str(b), 20, 100, {"train": 20, "val": 5, "test": 5})
    assert na == nb and na["train"] == 20 * len(mt.CATEGORIES)
    for name in ("train.tsv", "val.tsv", "test.tsv", "labels.txt"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert len(mt.CATEGORIES) >= 10
    seen = {}
    for split in ("train", "val", "test"):
        for line in (a / f"{split}.tsv").read_text().splitlines():
            label, text = line.split("\t", 1)
            assert label in mt.CATEGORIES
            assert mt.split_of(text) == split  # the split is a function of the text alone
            assert text not in seen, "a text in two splits or rows"
            seen[text] = split


def test_train_then_eval_on_smollm2(tmp_path):
    """End to end on the real model with tiny data: eval classify reproduces the accuracy the
    trainer reports on the same texts, and predictions do not depend on the batch (right
    padding must not reach the pooled real tokens under causal attention)."""
    from tock_paths import require_model
    model = require_model()
    labels = ["cats", "code"]
    rows = [("cats", "My cat sleeps on the warm windowsill."), ("code", "The compiler rejects this template."),
            ("cats", "Kittens chase the red ball of yarn."), ("code", "Segmentation fault in the linker."),
            ("cats", "Meow."), ("code", "git rebase failed with a merge conflict in main.cpp"),
            ("cats", "The tabby purrs."), ("code", "Null pointer dereference.")]
    (tmp_path / "labels.txt").write_text("cats\ncode\n")
    (tmp_path / "d.tsv").write_text("".join(f"{l}\t{t}\n" for l, t in rows))
    out = tock("train", "--task", "classify", "--labels", str(tmp_path / "labels.txt"),
               "--data", str(tmp_path / "d.tsv"), "--init", model, "--seq", "8", "--batch", "4",
               "--steps", "40", "--lr", "1e-2", "--out", str(tmp_path / "run"), "-q", "-t", "2").stdout
    train_acc = float(re.search(r"train accuracy ([0-9.]+)", out).group(1))
    clf = str(tmp_path / "run" / "classifier.gguf")
    preds = []
    for b in ("1", "8"):
        ev = tock("eval", "classify", "-m", clf, "--data", str(tmp_path / "d.tsv"), "-b", b,
                  "--out", str(tmp_path / f"p{b}.tsv"), "-t", "2").stdout
        assert abs(float(re.search(r"accuracy ([0-9.]+)", ev).group(1)) - train_acc) < 1e-4
        preds.append((tmp_path / f"p{b}.tsv").read_text())
    assert preds[0] == preds[1]
    assert [line.split("\t")[0] for line in preds[0].splitlines()] == [l for l, _ in rows]


def write_cats_and_code(tmp_path):
    """labels.txt (cats, code) and d.tsv: four short texts, two per label."""
    (tmp_path / "labels.txt").write_text("cats\ncode\n")
    (tmp_path / "d.tsv").write_text("cats\tMy cat sleeps on the warm windowsill.\n"
                                    "code\tThe compiler rejects this template.\n"
                                    "cats\tKittens chase the red ball of yarn.\n"
                                    "code\tSegmentation fault in the linker.\n")


def test_finetune_trains_the_backbone_and_eval_agrees(tmp_path):
    """--finetune: the head starts at zero, so the first loss is exactly ln(K); the loss falls;
    the fine-tuned backbone is exported and eval classify on it reproduces the train accuracy."""
    import math
    from tock_paths import require_model
    model = require_model()
    write_cats_and_code(tmp_path)
    r = tock("train", "--task", "classify", "--finetune", "--labels", str(tmp_path / "labels.txt"),
             "--data", str(tmp_path / "d.tsv"), "--init", model, "--seq", "8", "--batch", "4",
             "--steps", "3", "--lr", "1e-4", "--out", str(tmp_path / "run"), "-t", "2")
    losses = [float(x) for x in re.findall(r"loss ([0-9.]+)", r.stderr)]
    assert len(losses) == 3 and abs(losses[0] - math.log(2)) < 1e-4 and losses[-1] < losses[0]
    train_acc = float(re.search(r"train accuracy ([0-9.]+)", r.stdout).group(1))
    assert (tmp_path / "run" / "backbone.gguf").exists()
    ev = tock("eval", "classify", "-m", str(tmp_path / "run" / "classifier.gguf"),
              "--data", str(tmp_path / "d.tsv"), "-t", "2").stdout
    assert abs(float(re.search(r"accuracy ([0-9.]+)", ev).group(1)) - train_acc) < 1e-4


def read_tensors(path, names):
    """{name: f32 array (rows, cols)} of the named tensors of a GGUF, dequantised by gguf-py."""
    import json
    import subprocess
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize
    from tock_paths import tool
    lines = subprocess.run([tool("gguf_tool"), "tensors", path], check=True, capture_output=True,
                           text=True).stdout.splitlines()[1:]
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for t in map(json.loads, lines):
        name = bytes.fromhex(t["name"]).decode()
        if name in names:
            data = np.asarray(raw[t["offset"]:t["offset"] + t["bytes"]])
            out[name] = dequantize(data, GGMLQuantizationType(t["type"])).reshape(
                list(reversed(t["shape"])))
    return out


def test_lora_trains_adapters_merge_and_eval_agree(tmp_path):
    """--lora-rank: the head starts at zero (first loss ln K) and the loss falls; DIR/adapter.gguf
    holds rank-r q/v adapters with rank and alpha; --merge writes wq' = wq + (alpha/r)·B·A and
    wv' likewise (numpy from the adapter and the base GGUF, gguf-py dequantising), every other
    checked tensor (k, ffn) equal to the base; eval classify --adapter reproduces the train
    accuracy."""
    import math
    import gguf
    from tock_paths import require_model
    model = require_model()
    write_cats_and_code(tmp_path)
    merged = tmp_path / "merged.gguf"
    r = tock("train", "--task", "classify", "--lora-rank", "2", "--lora-alpha", "8",
             "--labels", str(tmp_path / "labels.txt"), "--data", str(tmp_path / "d.tsv"),
             "--init", model, "--seq", "8", "--batch", "4", "--steps", "3", "--lr", "1e-2",
             "--merge", str(merged), "--out", str(tmp_path / "run"), "-t", "2")
    losses = [float(x) for x in re.findall(r"loss ([0-9.]+)", r.stderr)]
    assert len(losses) == 3 and abs(losses[0] - math.log(2)) < 1e-4 and losses[-1] < losses[0]
    train_acc = float(re.search(r"train accuracy ([0-9.]+)", r.stdout).group(1))
    ad = gguf.GGUFReader(str(tmp_path / "run" / "adapter.gguf"))
    assert int(ad.fields["adapter.lora.rank"].parts[-1][0]) == 2
    assert float(ad.fields["adapter.lora.alpha"].parts[-1][0]) == 8.0
    at = {t.name: np.array(t.data, dtype=np.float32) for t in ad.tensors}
    assert len(at) == 4 * 30 and at["blk.0.attn_q.lora_a"].shape == (2, 576)
    assert at["blk.0.attn_v.lora_b"].shape == (192, 2)
    assert np.abs(at["blk.29.attn_v.lora_b"]).max() > 0  # B starts at 0: it was trained
    # A few layers' tensors, located with gguf_tool (gguf-py's reader parses the 49k-token
    # vocabulary for seconds), dequantised by gguf-py.
    check = {f"blk.{l}.{t}.weight" for l in (0, 17, 29) for t in ("attn_q", "attn_k", "attn_v")}
    check.add("blk.29.ffn_down.weight")
    base, out = read_tensors(model, check), read_tensors(str(merged), check)
    assert len(out) == len(check) == len(base)
    for name, w in out.items():
        m = re.match(r"blk\.(\d+)\.attn_([qv])\.weight", name)
        want = base[name].astype(np.float32)
        if m:
            p = f"blk.{m.group(1)}.attn_{m.group(2)}"
            delta = 4.0 * at[p + ".lora_b"] @ at[p + ".lora_a"]
            assert np.abs(delta).max() > 1e-3, name  # the check can tell merged from base
            want = want + delta
        np.testing.assert_allclose(w, want, atol=1e-4, rtol=0, err_msg=name)
    ev = tock("eval", "classify", "-m", str(tmp_path / "run" / "classifier.gguf"),
              "--adapter", str(tmp_path / "run" / "adapter.gguf"),
              "--data", str(tmp_path / "d.tsv"), "-t", "2").stdout
    assert abs(float(re.search(r"accuracy ([0-9.]+)", ev).group(1)) - train_acc) < 1e-4
