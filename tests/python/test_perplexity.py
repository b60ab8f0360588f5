"""`tock eval perplexity` against an independent numpy implementation of llama.cpp's method.

The reference below is written from llama.cpp's llama-perplexity (tools/perplexity): chunks of
n_ctx tokens, BOS replacing each chunk's first token when the tokenizer adds BOS, scoring the
logits of positions n_ctx/2 .. n_ctx-2 against the next token; --ppl-stride windows scoring
their last S tokens; PPL = exp(mean NLL) and ± = PPL·sqrt((mean(NLL²) − mean(NLL)²)/(count−1)).
Logits come from reference_forward.py (numpy float64), token ids from `tock tokenize`.

- default model (SmolLM2, fast path), ctx 64, 4 chunks: running and final PPL and the ± within
  0.5% of the reference;
- small random models (Llama and GPT-2, written by make_random_model, given a byte-level BPE
  tokenizer with add_bos_token here through gguf-py): exact path within 1e-4 in chunk mode (BOS
  replacement) and stride mode; the batch size (pieces of a window, several windows per pass)
  does not change the result;
- a GPT-2 trained by `tock train` (a few steps on a fortunes file) and exported as GGUF: within
  1e-4 of the reference;
- too little text or a stride outside [1, ctx-1]: a clear error, non-zero exit.
"""
import os
import re
import subprocess
import tempfile

# One BLAS thread for the numpy reference: CI has 2 cores, and threads spinning there cost more
# CPU time than they save (set before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gguf
import numpy as np
import pytest

import reference_forward as rf
from train_corpus import bytes_to_unicode, fortune_files
from tock_paths import SOURCE_DIR, require_model, tock, tool

TEXT = os.path.join(SOURCE_DIR, "tests", "data", "text", "english_prose.txt")


# ---- the reference -------------------------------------------------------------------------

def windows(n_tokens, ctx, stride, max_chunks=None):
    """(start, first scored logits position) of each window, as llama.cpp plans them."""
    if stride == 0:
        w = [(i * ctx, ctx // 2) for i in range(n_tokens // ctx)]
    else:
        n = (n_tokens - ctx + stride - 1) // stride
        w = [(i * stride, ctx - stride - 1) for i in range(n)]
    return w[:max_chunks] if max_chunks is not None else w


def reference_perplexity(logits_fn, ids, ctx, stride=0, bos=None, max_chunks=None):
    """Returns (running PPL after each window, final PPL, ±)."""
    nll, running = [], []
    for start, first in windows(len(ids), ctx, stride, max_chunks):
        w = list(ids[start:start + ctx])
        if bos is not None and stride == 0:
            w[0] = bos
        L = logits_fn(w)
        for j in range(first, ctx - 1):
            row = L[j]
            m = row.max()
            nll.append(m + np.log(np.exp(row - m).sum()) - row[ids[start + j + 1]])
        running.append(np.exp(np.mean(nll)))
    nll = np.array(nll)
    ppl = np.exp(nll.mean())
    err = ppl * np.sqrt((np.mean(nll ** 2) - nll.mean() ** 2) / (len(nll) - 1))
    return running, ppl, err


# ---- running tock --------------------------------------------------------------------------

def tock_perplexity(model, text_file, *args):
    out = tock("eval", "perplexity", "-m", model, "-f", text_file, *args).stdout
    running = [float(x) for x in re.findall(r"\[\d+\]([0-9.]+),", out)]
    m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", out)
    assert m, out
    return running, float(m.group(1)), float(m.group(2))


def text_ids(model, text_file, add_bos_id=None):
    """The text's ids as llama.cpp's tool takes them: BOS first if the tokenizer adds BOS."""
    out = tock("tokenize", "-m", model, "--ids", "--no-special", "-f", text_file).stdout
    ids = [int(x) for x in out.split()]
    return ([add_bos_id] if add_bos_id is not None else []) + ids


def close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


# ---- the default model ---------------------------------------------------------------------

def test_default_model_matches_numpy_reference_within_half_a_percent():
    model = require_model()
    reader = gguf.GGUFReader(model)
    f = reader.fields.get("tokenizer.ggml.add_bos_token")
    add_bos = bool(f.contents()) if f is not None else False
    bos = int(reader.fields["tokenizer.ggml.bos_token_id"].contents()) if add_bos else None
    ids = text_ids(model, TEXT, bos)
    ctx, chunks = 64, 4
    assert len(ids) >= 2 * ctx and len(ids) // ctx >= chunks

    got_running, got, got_err = tock_perplexity(model, TEXT, "--ctx", str(ctx), "--chunks", str(chunks))
    ref = rf.Model(model)
    want_running, want, want_err = reference_perplexity(ref.logits, ids, ctx, 0, bos, chunks)
    print(f"SmolLM2 ctx {ctx} x {chunks}: tock {got:.4f} +/- {got_err:.5f}, numpy {want:.4f} +/- {want_err:.5f}")
    assert len(got_running) == chunks
    for g, w in zip(got_running, want_running):
        assert close(g, w, 5e-3), (got_running, want_running)
    assert close(got, want, 5e-3)
    assert close(got_err, want_err, 5e-3)


# ---- small random models with a tokenizer --------------------------------------------------

MERGES = ["Ġ t", "h e", "i n", "e r", "a n", "o n", "r e", "Ġ a", "e n", "a t", "o r", "e s", "Ġ s",
          "Ġ o", "Ġ w", "i s", "e d", "i t", "a l", "a r", "Ġ c", "Ġ b", "Ġ m", "Ġ p", "Ġ f", "Ġ i",
          "o u", "l e", "s t", "n d", "i c", "a s", "Ġ h", "Ġ d", "o f", "Ġt h", "Ġth e", "n g",
          "in g", "Ġ l", "l y", "Ġ n"]


def add_tokenizer(src, dst, add_bos):
    """Copies a GGUF and gives it a byte-level BPE vocabulary of exactly V = 300 tokens:
    256 bytes, <s> (256, BOS), </s> (257, EOS) and 42 merges."""
    r = gguf.GGUFReader(src)
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(dst, arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        w.add_key_value(key, f.contents(), f.types[0])
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)] + ["<s>", "</s>"] + [m.replace(" ", "") for m in MERGES]
    assert len(tokens) == 300 and len(set(tokens)) == 300
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types([1] * 256 + [3, 3] + [1] * len(MERGES))
    w.add_token_merges(MERGES)
    w.add_bos_token_id(256)
    w.add_eos_token_id(257)
    w.add_add_bos_token(add_bos)
    for t in r.tensors:
        w.add_tensor(t.name, np.array(t.data))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.fixture(scope="module")
def tiny_dir():
    with tempfile.TemporaryDirectory(prefix="tock_ppl_") as d:
        # ~600 bytes of English: ~400 byte-level tokens, a dozen windows of 32.
        with open(TEXT, "rb") as f:
            text = f.read()[:600]
        path = os.path.join(d, "text.txt")
        with open(path, "wb") as f:
            f.write(text)
        with open(os.path.join(d, "short.txt"), "w") as f:
            f.write("Too short to fill two windows of 64 tokens.")
        yield d


def tiny_model(d, arch, add_bos):
    raw = os.path.join(d, f"{arch}_raw.gguf")
    out = os.path.join(d, f"{arch}_{int(add_bos)}.gguf")
    if not os.path.exists(out):
        subprocess.run([tool("make_random_model"), arch, raw, "5"], check=True)
        add_tokenizer(raw, out, add_bos)
    return out


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_random_model_chunks_with_bos_match_reference_exactly(tiny_dir, arch):
    model = tiny_model(tiny_dir, arch, add_bos=True)
    text = os.path.join(tiny_dir, "text.txt")
    ids = text_ids(model, text, 256)
    ref = rf.Model(model)
    want_running, want, want_err = reference_perplexity(ref.logits, ids, 32, 0, 256)
    got_running, got, got_err = tock_perplexity(model, text, "--ctx", "32", "--exact")
    assert len(got_running) == len(ids) // 32 == len(want_running)
    for g, w in zip(got_running, want_running):
        assert close(g, w, 1e-4), (got_running, want_running)
    assert close(got, want, 1e-4) and close(got_err, want_err, 1e-3), (got, want, got_err, want_err)
    # Pieces of a window per pass, and four windows per pass: the same numbers.
    for batch in ("7", "128"):
        r, p, e = tock_perplexity(model, text, "--ctx", "32", "--exact", "--batch", batch)
        assert (r, p, e) == (got_running, got, got_err), batch


def test_random_model_stride_windows_match_reference_exactly(tiny_dir):
    model = tiny_model(tiny_dir, "llama", add_bos=True)
    text = os.path.join(tiny_dir, "text.txt")
    ids = text_ids(model, text, 256)
    ref = rf.Model(model)
    want_running, want, want_err = reference_perplexity(ref.logits, ids, 32, 8, 256, max_chunks=20)
    got_running, got, got_err = tock_perplexity(model, text, "--ctx", "32", "--stride", "8", "--chunks", "20", "--exact")
    assert len(got_running) == 20
    for g, w in zip(got_running, want_running):
        assert close(g, w, 1e-4), (got_running, want_running)
    assert close(got, want, 1e-4) and close(got_err, want_err, 1e-3)


def test_no_bos_model_scores_the_raw_chunks(tiny_dir):
    model = tiny_model(tiny_dir, "llama", add_bos=False)
    text = os.path.join(tiny_dir, "text.txt")
    ids = text_ids(model, text)
    want_running, want, _ = reference_perplexity(rf.Model(model).logits, ids, 32, 0, None, max_chunks=4)
    got_running, got, _ = tock_perplexity(model, text, "--ctx", "32", "--chunks", "4", "--exact")
    assert close(got, want, 1e-4), (got, want)


def test_bad_requests_are_clear_errors(tiny_dir):
    model = tiny_model(tiny_dir, "llama", add_bos=True)
    text = os.path.join(tiny_dir, "text.txt")
    short = os.path.join(tiny_dir, "short.txt")
    r = tock("eval", "perplexity", "-m", model, "-f", short, "--ctx", "64", check=False)
    assert r.returncode != 0 and "a context of 64 needs at least 128" in r.stderr, r.stderr
    r = tock("eval", "perplexity", "-m", model, "-f", text, "--ctx", "32", "--stride", "32", check=False)
    assert r.returncode != 0 and "--stride 32 must be in [1, ctx-1]" in r.stderr, r.stderr
    r = tock("eval", "perplexity", "-m", model, "-f", text, "--ctx", "128", check=False)
    assert r.returncode != 0 and "over the model's context length 64" in r.stderr, r.stderr


def test_tock_trained_gpt2_matches_reference(tmp_path):
    """A GPT-2 trained here (tokenizer train -> data prepare -> train, a few steps) and exported
    as GGUF: its perplexity over held-in text equals the numpy reference's (exact path)."""
    corpus = fortune_files("science")[0]
    tok = str(tmp_path / "tok.gguf")
    tock("tokenizer", "train", "--vocab-size", "400", corpus, "-o", tok)
    tock("data", "prepare", "--tokenizer", tok, corpus, "-o", str(tmp_path / "data"))
    tock("train", "--data", str(tmp_path / "data"), "--tokenizer", tok, "--arch", "gpt2", "--layers", "1",
         "--dim", "32", "--heads", "2", "--seq", "32", "--batch", "4", "--steps", "20", "--seed", "3",
         "--out", str(tmp_path / "run"), "-q")
    model = str(tmp_path / "run" / "model.gguf")
    text = str(tmp_path / "text.txt")
    with open(corpus, "rb") as f, open(text, "wb") as out:
        out.write(f.read()[:2000])
    reader = gguf.GGUFReader(model)
    add_bos = reader.fields.get("tokenizer.ggml.add_bos_token")
    bos = int(reader.fields["tokenizer.ggml.bos_token_id"].contents()) if add_bos and add_bos.contents() else None
    ids = text_ids(model, text, bos)
    want_running, want, want_err = reference_perplexity(rf.Model(model).logits, ids, 32, 0, bos, max_chunks=8)
    got_running, got, got_err = tock_perplexity(model, text, "--ctx", "32", "--chunks", "8", "--exact")
    print(f"tock-trained gpt2: tock {got:.4f} +/- {got_err:.5f}, numpy {want:.4f} +/- {want_err:.5f}")
    assert len(got_running) == 8
    assert close(got, want, 1e-4) and close(got_err, want_err, 1e-3), (got, want, got_err, want_err)
    assert got < 400  # 20 steps of training beat the uniform guess over the vocabulary
