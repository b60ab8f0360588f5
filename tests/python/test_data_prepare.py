"""`tock data prepare` end to end on fortunes: shard layout, meta.json, that the shards hold
exactly the cleaned documents (decoded here independently of Tock, with the byte-level
alphabet), the seeded shuffle and split, sharding, and the errors on bad input."""
import hashlib
import json
import os
import struct
from collections import Counter

import gguf
import numpy as np
import pytest

from tock_paths import tock
from train_corpus import bytes_to_unicode, clean, corpus_documents, fortune_files, read_tokenizer

FILES = fortune_files("wisdom", "science")  # ~190 KB
HANDMADE = (b"\xef\xbb\xbfCafe\xcc\x81 cr\xc3\xa8me\r\nline two\rline three\x07\x00\n%\n"
            b"bad \xff\xe2\x82 bytes\x1b[0m and \xc2\x85NEL\n%\nthird <|endoftext|> doc\n")


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tok") / "tok.gguf")
    tock("tokenizer", "train", "--vocab-size", "700", *FILES, "-o", out)
    return out


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    p = tmp_path_factory.mktemp("text") / "handmade.txt"
    p.write_bytes(HANDMADE)
    return str(p)


def prepare(tok, files, out, *extra):
    return tock("data", "prepare", "--tokenizer", tok, *files, "-o", str(out), *extra)


def read_shard(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, version, width, count = struct.unpack_from("<8sIIQ", data)
    assert magic == b"TOCKTOK\0" and version == 1 and width in (2, 4)
    assert len(data) == 24 + count * width
    return np.frombuffer(data, dtype=np.uint16 if width == 2 else np.uint32, offset=24).astype(np.int64)


def decode_docs(tokens_list, ids, eos):
    """Split at eos (every document ends with it) and decode with the byte-level alphabet."""
    inv = {c: b for b, c in bytes_to_unicode().items()}
    assert ids[-1] == eos
    docs, cur = [], []
    for t in ids:
        if t == eos:
            docs.append(bytes(inv[c] for c in "".join(tokens_list[i] for i in cur)).decode("utf-8"))
            cur = []
        else:
            cur.append(t)
    return docs


def split_tokens(out, split):
    meta = json.loads((out / "meta.json").read_text())
    return np.concatenate([read_shard(out / s) for s in meta[split]["shards"]])


def test_shards_hold_exactly_the_cleaned_documents(tok, handmade, tmp_path):
    files = FILES + [handmade]
    r = prepare(tok, files, tmp_path, "--val-fraction", "0.1", "--seed", "5")
    assert "documents" in r.stderr
    meta = json.loads((tmp_path / "meta.json").read_text())
    tokens, _, _, eos = read_tokenizer(tok)
    expected = corpus_documents(files)
    n_val = round(0.1 * len(expected))
    assert meta["train"]["documents"] == len(expected) - n_val and meta["val"]["documents"] == n_val
    assert meta["tokenizer"]["sha256"] == hashlib.sha256(open(tok, "rb").read()).hexdigest()
    assert meta["tokenizer"]["vocab_size"] == 700 and meta["tokenizer"]["eos_token_id"] == eos
    assert meta["dtype"] == "uint16" and meta["cleaning_rules_version"] == 1 and meta["seed"] == 5
    train, val = split_tokens(tmp_path, "train"), split_tokens(tmp_path, "val")
    assert len(train) == meta["train"]["tokens"] and len(val) == meta["val"]["tokens"]
    assert train.max() < 700
    got_train, got_val = decode_docs(tokens, train, eos), decode_docs(tokens, val, eos)
    assert len(got_train) == meta["train"]["documents"] and len(got_val) == n_val
    assert Counter(got_train + got_val) == Counter(expected)  # every document once, nothing else
    # The handmade file, cleaned: NFC, line endings, controls, BOM, U+FFFD, special text kept as text.
    hand = corpus_documents([handmade])
    assert hand == ["Café crème\nline two\nline three\n", "bad \ufffd\ufffd bytes[0m and NEL\n",
                    "third <|endoftext|> doc\n"]
    assert set(hand) <= set(got_train + got_val)
    assert (train == eos).sum() == meta["train"]["documents"]  # '<|endoftext|>' text is not the eos id


def test_same_seed_same_bytes_other_seed_other_order(tok, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    prepare(tok, FILES, a, "--seed", "1")
    prepare(tok, FILES, b, "--seed", "1")
    prepare(tok, FILES, c, "--seed", "2")
    for name in ("train_000.bin", "val_000.bin"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "train_000.bin").read_bytes() != (c / "train_000.bin").read_bytes()
    all_a = np.concatenate([split_tokens(a, "train"), split_tokens(a, "val")])
    all_c = np.concatenate([split_tokens(c, "train"), split_tokens(c, "val")])
    assert Counter(all_a.tolist()) == Counter(all_c.tolist())


def test_shard_size_limit_and_stale_shards_removed(tok, tmp_path):
    prepare(tok, FILES, tmp_path, "--shard-tokens", "10000", "--val-fraction", "0")
    meta = json.loads((tmp_path / "meta.json").read_text())
    shards = meta["train"]["shards"]
    assert len(shards) > 3 and meta["val"]["shards"] == [] and not (tmp_path / "val_000.bin").exists()
    sizes = [len(read_shard(tmp_path / s)) for s in shards]
    assert all(s == 10000 for s in sizes[:-1]) and 0 < sizes[-1] <= 10000
    assert sum(sizes) == meta["train"]["tokens"]
    prepare(tok, FILES, tmp_path, "--val-fraction", "0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "train_000.bin"]


def test_no_eos_tokenizer(tmp_path):
    path = str(tmp_path / "noeos.gguf")
    w = gguf.GGUFWriter(path, arch="gpt2")
    w.add_tokenizer_model("gpt2")
    alphabet = [bytes_to_unicode()[b] for b in range(256)]
    w.add_token_list(alphabet + ["ab"])
    w.add_token_merges(["a b"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = tock("data", "prepare", "--tokenizer", path, FILES[0], "-o", str(tmp_path / "d"), check=False)
    assert r.returncode != 0 and "no EOS token" in r.stderr


@pytest.mark.parametrize("case,message", [
    ("empty", "corpus is empty"),
    ("missing", "/nonexistent/x.txt"),
    ("bad_tokenizer", "GGUF"),
    ("one_doc", "cannot be split into train and validation"),
])
def test_bad_input_is_a_clear_error(tok, tmp_path, case, message):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n%\n  \t\n%\n")
    one = tmp_path / "one.txt"
    one.write_text("just one document\n")
    notgguf = tmp_path / "tok.gguf"
    notgguf.write_text("hello")
    tokenizer = str(notgguf) if case == "bad_tokenizer" else tok
    files = {"empty": [str(empty)], "missing": ["/nonexistent/x.txt"], "bad_tokenizer": FILES[:1],
             "one_doc": [str(one)]}[case]
    out = tmp_path / "out"
    r = tock("data", "prepare", "--tokenizer", tokenizer, *files, "-o", str(out), check=False)
    assert r.returncode != 0
    assert message in r.stderr + r.stdout, r.stderr
    assert not (out / "meta.json").exists()


def test_help_documents_the_cleaning_rules():
    r = tock("data", "prepare", "--help")
    for words in ("NFC", "U+FFFD", "control characters", "TOCKTOK", "'%'"):
        assert words in r.stdout
