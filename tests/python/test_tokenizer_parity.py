"""Tokenizer parity: Tock's byte-level BPE against Hugging Face `tokenizers` built from the
same vocabulary and merges (read from the default model's GGUF with gguf-py), on the
corpus tests/data/tokenizer/corpus.jsonl (prose, code, numbers, whitespace, CJK, emoji,
accents, combining marks, special-token strings). Also decode(encode(x)) == x on all.
"""
import json
import os
import subprocess
import sys

import pytest

SRC = os.environ.get("TOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "data", "tokenizer"))
import hf_reference  # noqa: E402

MODEL = os.environ.get("TOCK_MODEL", os.path.expanduser("~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TOOL = os.path.join(os.environ.get("TOCK_BUILD_DIR", os.path.join(SRC, "build")), "tests", "tokenize_lines")


def load_corpus():
    with open(os.path.join(SRC, "tests", "data", "tokenizer", "corpus.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


CORPUS = load_corpus()


def tock_encode(texts, *args):
    """[(roundtrip_ok, ids)] from the batch tool, one per text."""
    assert all("\0" not in t for t in texts)
    res = subprocess.run([TOOL, MODEL, *args], input="\0".join(texts).encode("utf-8"),
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().split("\n")[:-1]
    assert len(lines) == len(texts)
    out = []
    for line in lines:
        ok, ids = line.split("\t")
        out.append((ok == "1", [int(x) for x in ids.split()]))
    return out


@pytest.fixture(scope="module")
def fields():
    assert os.path.exists(MODEL), f"default model missing: {MODEL} (run `tock pull smollm2`)"
    return hf_reference.read_tokenizer_fields(MODEL)


def compare(texts, ours, ref_tok):
    mismatches = []
    for text, (_, ids) in zip(texts, ours):
        ref = ref_tok.encode(text, add_special_tokens=False).ids
        if ids != ref:
            mismatches.append((text, ids, ref))
    for text, ids, ref in mismatches[:5]:
        print(f"MISMATCH {text!r}\n  tock {ids}\n  hf   {ref}")
    return mismatches


def test_corpus_is_big_and_varied():
    assert len(CORPUS) >= 5000
    joined = "".join(CORPUS)
    for needle in ["<|im_start|>", "\u200d", "🇫🇷", "日本", "\u0301", "\n\n", "   ", "def ", "١"]:
        assert needle in joined, needle
    assert sum("\n" in t for t in CORPUS) > 500  # multi-line chunks, not only single lines


def test_smollm_ids_match_hf_with_special_tokens(fields):
    assert fields["pre"] == "smollm"
    ours = tock_encode(CORPUS)
    ref = hf_reference.byte_level_bpe(fields, "smollm", with_added_tokens=True)
    bad = compare(CORPUS, ours, ref)
    assert not bad, f"{len(bad)} of {len(CORPUS)} texts differ"
    # Special-token strings became single ids somewhere: the check is not vacuous.
    im_start = fields["tokens"].index("<|im_start|>")
    assert sum(im_start in ids for _, ids in ours) >= 300


def test_smollm_ids_match_hf_without_special_parsing(fields):
    ours = tock_encode(CORPUS, "--no-special")
    ref = hf_reference.byte_level_bpe(fields, "smollm", with_added_tokens=False)
    bad = compare(CORPUS, ours, ref)
    assert not bad, f"{len(bad)} of {len(CORPUS)} texts differ"
    im_start = fields["tokens"].index("<|im_start|>")
    assert not any(im_start in ids for _, ids in ours)


def test_decode_of_encode_is_identity(fields):
    ours = tock_encode(CORPUS)
    bad = [t for t, (ok, _) in zip(CORPUS, ours) if not ok]
    assert not bad, f"{len(bad)} texts do not round-trip, e.g. {bad[:3]!r}"


@pytest.mark.parametrize("rule", ["gpt-2", "llama-bpe"])
def test_other_split_rules_match_hf_over_the_same_vocab(fields, rule):
    ours = tock_encode(CORPUS, "--pre", rule)
    ref = hf_reference.byte_level_bpe(fields, rule, with_added_tokens=True)
    bad = compare(CORPUS, ours, ref)
    assert not bad, f"{rule}: {len(bad)} of {len(CORPUS)} texts differ"
