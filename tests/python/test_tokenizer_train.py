"""`tock tokenizer train` against Hugging Face tokenizers' BpeTrainer on ~300 KB of fortunes.

Both trainers use the same rule (most frequent pair; ties to the smaller pair of ids, ids
being the 256 byte tokens in GPT-2 order then merges in order made), so the merges must be
identical, not just the first ones. HF is set up as the GPT-2 byte-level BPE: ByteLevel
pre-tokenizer without prefix space (GPT-2 regex), the full 256-byte initial alphabet, the
same vocabulary size and min_frequency. HF puts special tokens first, Tock last; so a
normal token's HF id is Tock's id + 1. Both see the same documents (Tock's cleaning and
'%' splitting, restated in train_corpus.py).
"""
import os
import subprocess

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from tock_paths import tock, tool
from train_corpus import corpus_documents, fortune_files, read_tokenizer

VOCAB = 1200
TRAIN = fortune_files("computers", "wisdom")        # ~300 KB
HELD_OUT = fortune_files("science")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tok") / "tok.gguf")
    r = tock("tokenizer", "train", "--vocab-size", str(VOCAB), *TRAIN, "-o", out)
    assert "merges" in r.stderr and os.path.exists(out)
    return out


@pytest.fixture(scope="module")
def hf():
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tk.train_from_iterator(corpus_documents(TRAIN), trainer)
    return tk


def hf_merges(tk):
    import json
    merges = json.loads(tk.to_str())["model"]["merges"]
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def test_merges_equal_hugging_face_bpe_trainer(trained, hf):
    tokens, merges, types, eos = read_tokenizer(trained)
    expected = hf_merges(hf)
    assert len(merges) == len(expected) == VOCAB - 256 - 1
    first_diff = next((i for i, (a, b) in enumerate(zip(merges, expected)) if a != b), None)
    assert first_diff is None, f"merge {first_diff}: tock {merges[first_diff]!r}, HF {expected[first_diff]!r}"
    # Same vocabulary, shifted by HF's leading special token.
    vocab = hf.get_vocab()
    assert all(vocab[t] == i + 1 for i, t in enumerate(tokens[:-1]))
    assert tokens[-1] == "<|endoftext|>" and eos == VOCAB - 1 and types[-1] == 3
    assert set(types[:-1]) == {1}


def test_encode_matches_hugging_face_on_held_out_text(trained, hf):
    texts = corpus_documents(HELD_OUT)[:400] + ["Ünïcödé façade — naïve 😀 日本語", "  two  spaces\n\n\tx", "it's 1999's"]
    out = subprocess.run([tool("tokenize_lines"), trained, "--no-special"], input="\0".join(texts).encode(),
                         capture_output=True, check=True).stdout.decode().splitlines()
    assert len(out) == len(texts)
    mismatches = 0
    for text, line in zip(texts, out):
        roundtrip, ids = line.split("\t")
        assert roundtrip == "1", f"decode(encode(x)) != x for {text!r}"
        ours = [int(x) for x in ids.split()]
        theirs = [i - 1 for i in hf.encode(text).ids]
        mismatches += ours != theirs
    assert mismatches == 0, f"{mismatches} of {len(texts)} texts tokenized differently"


def test_same_input_gives_identical_file(trained, tmp_path):
    again = str(tmp_path / "again.gguf")
    tock("tokenizer", "train", "--vocab-size", str(VOCAB), *TRAIN, "-o", again)
    with open(trained, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read()


def test_several_specials_and_min_frequency(tmp_path):
    out = str(tmp_path / "t.gguf")
    r = tock("tokenizer", "train", "--vocab-size", "5000", "--min-frequency", "50", "--special", "<pad>",
             "--special", "<|endoftext|>", *TRAIN[1:], "-o", out)
    tokens, merges, types, eos = read_tokenizer(out)
    assert tokens[-2:] == ["<pad>", "<|endoftext|>"] and types[-2:] == [3, 3] and eos == len(tokens) - 1
    assert len(tokens) < 5000 and "stopped below --vocab-size" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--vocab-size", "100"], "--vocab-size"),
    (["--vocab-size", "256"], "below 256 byte tokens + 1 special"),
    (["--vocab-size", "300", "/nonexistent/file.txt"], "nonexistent"),
    (["--vocab-size", "300", "EMPTY"], "corpus is empty"),
])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    empty = tmp_path / "empty.txt"
    empty.write_text("%\n \n%\n\n")
    args = [str(empty) if a == "EMPTY" else a for a in args]
    if not any(os.sep in a or a.endswith(".txt") for a in args):
        args.append(TRAIN[1])
    r = tock("tokenizer", "train", *args, "-o", str(tmp_path / "x.gguf"), check=False)
    assert r.returncode != 0
    assert message in r.stderr + r.stdout
    assert not os.path.exists(tmp_path / "x.gguf")
