"""Tock's forward pass against an independent numpy reference (reference_forward.py).

- exact path on the default model: logits within 1e-4 relative (max abs diff / max |logit|) at
  every position of a 128-token prompt;
- fast path: same top-1 token at >= 99% of teacher-forced positions of a 512-token English text,
  perplexity within 1% of the reference's;
- incremental decoding (token by token, odd chunks) gives the same logits as one batch;
- fast path: a prompt's last token after its prefix (as with a cached prefix) gives the same bits
  as inside the prompt's prefill;
- random-weight GPT-2, Llama and Qwen2 models written by Tock's GGUF writer: logits within 1e-4;
  quantized to Q8_0/Q4_1/Q4_0 (repacked at load on AVX2): chunked == one pass bit for bit, and
  within 1e-3 of the reference on gguf-py's dequantized weights.
"""
import os
import subprocess
import tempfile

import numpy as np
import pytest

import reference_forward as rf
from tock_paths import SOURCE_DIR, require_model, tock, tool

TEXT = os.path.join(SOURCE_DIR, "tests", "data", "text", "english_prose.txt")


def tock_logits(model, ids, path="exact", chunk=None, last_only=False):
    with tempfile.TemporaryDirectory() as d:
        ids_file, out = os.path.join(d, "ids.txt"), os.path.join(d, "logits.f32")
        with open(ids_file, "w") as f:
            f.write(" ".join(map(str, ids)))
        cmd = [tool("model_logits"), model, path, ids_file, out]
        if chunk:
            cmd.append(str(chunk))
        if last_only:
            cmd.append("last")
        subprocess.run(cmd, check=True)
        rows = -(-len(ids) // (chunk or len(ids))) if last_only else len(ids)
        return np.fromfile(out, dtype=np.float32).reshape(rows, -1).astype(np.float64)


def tokenize(model, text_file):
    out = tock("tokenize", "-m", model, "--ids", "-f", text_file).stdout
    return [int(x) for x in out.split()]


def rel_err(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.fixture(scope="module")
def smollm():
    path = require_model()
    return path, rf.Model(path)


@pytest.fixture(scope="module")
def text_ids(smollm):
    path, _ = smollm
    ids = tokenize(path, TEXT)
    assert len(ids) >= 512, len(ids)
    return ids[:512]


@pytest.fixture(scope="module")
def ref_logits(smollm, text_ids):
    """Reference logits of the 512-token text; causal, so their first rows are those of any prefix."""
    _, ref = smollm
    return ref.logits(text_ids)


def test_exact_path_matches_reference_at_every_position(smollm, text_ids, ref_logits):
    path, _ = smollm
    ids = text_ids[:128]
    want = ref_logits[:128]
    got = tock_logits(path, ids, "exact")
    errs = [rel_err(got[t], want[t]) for t in range(len(ids))]
    print(f"exact path: max relative logit error {max(errs):.2e} over {len(ids)} positions")
    assert max(errs) < 1e-4


def test_incremental_decoding_matches_one_batch(smollm, text_ids):
    path, _ = smollm
    ids = text_ids[:40]
    whole = tock_logits(path, ids, "exact")
    for chunk in (1, 7):
        part = tock_logits(path, ids, "exact", chunk)
        assert rel_err(part, whole) < 1e-5, chunk


def test_prefill_asking_only_last_logits_gives_the_same_rows(smollm, text_ids, ref_logits):
    """A prompt's prefill asks for its last token's logits only, so the last layer skips the
    other rows after writing their keys and values: each chunk's last row must not change."""
    path, _ = smollm
    ids = text_ids[:40]
    whole = tock_logits(path, ids, "exact")
    for chunk in (7, 40):
        last = tock_logits(path, ids, "exact", chunk, last_only=True)
        ends = [min(len(ids), s + chunk) - 1 for s in range(0, len(ids), chunk)]
        np.testing.assert_array_equal(last, whole[ends])
        assert rel_err(last, ref_logits[ends]) < 1e-4
    # The fast path too: its kernels give a row the same bits whatever rows share the call.
    fast_last = tock_logits(path, ids, "fast", 7, last_only=True)
    fast_whole = tock_logits(path, ids, "fast", 7)
    np.testing.assert_array_equal(fast_last, fast_whole[6::7].tolist() + [fast_whole[-1].tolist()])


def test_last_token_after_its_cached_prefix_gives_the_prefills_bits(smollm, text_ids):
    """With a cached prefix (tock serve's prefix cache, a chat's next turn) a prompt's last token
    is computed alone, as decoding does; without, inside the prompt's prefill tiles. Attention
    must round a query row the same way in both (attention_kernels.hpp), or a cached prefix
    changes logprobs and sampled text. 300 tokens: the lone token's positions are split
    over the threads; 37: one pass. Bit for bit, not close."""
    path, _ = smollm
    for n in (37, 300):
        ids = text_ids[:n]
        whole = tock_logits(path, ids, "fast", n, last_only=True)
        cached = tock_logits(path, ids, "fast", n - 1, last_only=True)
        assert cached.shape[0] == 2
        np.testing.assert_array_equal(cached[1], whole[0], err_msg=f"{n} tokens")


def test_fast_path_top1_and_perplexity(smollm, text_ids, ref_logits):
    path, _ = smollm
    ids = text_ids
    want = ref_logits
    got = tock_logits(path, ids, "fast")

    def nll(logits):
        lse = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
        return lse[:-1] - logits[np.arange(len(ids) - 1), ids[1:]]

    agree = np.mean(got.argmax(-1) == want.argmax(-1))
    ppl_ref, ppl_fast = np.exp(nll(want).mean()), np.exp(nll(got).mean())
    print(f"fast path: top-1 agreement {agree:.4f}, perplexity {ppl_fast:.4f} vs reference {ppl_ref:.4f}")
    assert agree >= 0.99
    assert abs(ppl_fast / ppl_ref - 1) < 0.01


@pytest.mark.parametrize("arch", ["gpt2", "llama", "qwen2"])
def test_random_model_matches_reference(arch, tmp_path):
    gguf_path = str(tmp_path / f"{arch}.gguf")
    subprocess.run([tool("make_random_model"), arch, gguf_path, "7"], check=True)
    ref = rf.Model(gguf_path)
    ids = list(np.random.default_rng(3).integers(0, 300, size=40))
    want = ref.logits(ids)
    for compute in ("exact", "fast"):
        got = tock_logits(gguf_path, ids, compute)
        err = rel_err(got, want)
        print(f"{arch} {compute}: relative error {err:.2e}")
        # The fast path quantizes activations to 8 bits for quantized weights only; these are
        # F32/F16, so both paths are float arithmetic.
        assert err < 1e-4, (arch, compute, err)


@pytest.mark.parametrize("wtype", ["Q8_0", "Q4_1", "Q4_0"])
@pytest.mark.parametrize("arch", ["gpt2", "llama", "qwen2"])
def test_quantized_random_model_fast_path(arch, wtype, tmp_path):
    """Each family with quantized matrices (on AVX2 repacked at load: packed_rows8.hpp, GPT-2's
    fused qkv included): the prompt in chunks of 7 tokens (the decode-size kernel) gives the
    one-pass prefill's logits (the GEMM) bit for bit, and both stay near gguf-py's dequantized
    weights run by the numpy reference (the fast path's activations are 16-bit)."""
    f32 = str(tmp_path / f"{arch}.gguf")
    path = str(tmp_path / f"{arch}.{wtype}.gguf")
    subprocess.run([tool("make_random_model"), arch, f32, "7"], check=True)
    tock("quantize", f32, path, wtype)
    ids = list(np.random.default_rng(3).integers(0, 300, size=40))
    whole = tock_logits(path, ids, "fast")
    np.testing.assert_array_equal(tock_logits(path, ids, "fast", chunk=7), whole)
    err = rel_err(whole, rf.Model(path).logits(ids))
    print(f"{arch} {wtype} fast: relative error {err:.2e}")
    assert err < 1e-3, (arch, wtype, err)
