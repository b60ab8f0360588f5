"""Shared by the tokenizer-training and data-preparation checks: the fortunes corpus, a
Python statement of Tock's cleaning and document rules (text_cleaning.hpp, corpus.hpp),
and reading a trained tokenizer GGUF."""
import os
import unicodedata

import gguf

FORTUNES = "/usr/share/games/fortunes"


def fortune_files(*names):
    paths = [os.path.join(FORTUNES, n) for n in names]
    missing = [p for p in paths if not os.path.exists(p)]
    assert not missing, f"Debian's fortunes package is missing ({missing[0]}): run scripts/setup.sh"
    return paths


def clean(raw: bytes) -> str:
    """Cleaning rules v1: invalid UTF-8 -> U+FFFD (maximal subparts, as Python's 'replace'),
    CRLF/CR -> LF, drop C0/DEL/C1 controls but \\n \\t, drop a leading BOM, NFC."""
    s = raw.decode("utf-8", "replace")
    if s.startswith("\ufeff"):
        s = s[1:]
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = "".join(c for c in s if not ((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F))
    return unicodedata.normalize("NFC", s)


def documents(text: str):
    """Lines holding only '%' end a document; blank documents are dropped."""
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if line in ("%\n", "%"):
            docs.append("".join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append("".join(cur))
    return [d for d in docs if d.strip(" \n\t")]


def corpus_documents(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out += documents(clean(f.read()))
    return out


def bytes_to_unicode():
    """GPT-2's byte-level alphabet (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def read_tokenizer(path):
    """(tokens, merges, token types, eos id) from a tokenizer GGUF, via gguf-py."""
    r = gguf.GGUFReader(path)

    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    types = [int(r.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in r.fields["tokenizer.ggml.token_type"].data]
    eos = int(r.fields["tokenizer.ggml.eos_token_id"].parts[-1][0])
    return strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges"), types, eos
