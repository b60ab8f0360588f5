"""`tock quantize`: blocks bit-identical to gguf-py's reference quantizers (gguf.quants.quantize,
which mirrors ggml's quantize_row_*_ref) for Q8_0, Q4_0, Q4_1, BF16, F16 and F32, from F32, F16
and K-quant sources; the per-type error bounds; the tensor-type rules (1-D stays F32, K not a
multiple of 32 goes to F16, --keep-output); metadata kept; the default model requantized to Q8_0
and F16 runs and agrees with the Q4_1 model's greedy choices; bad input fails with one line."""
import os
import subprocess

import numpy as np
import pytest
from gguf import GGMLQuantizationType as QT
from gguf import GGUFReader, GGUFWriter, quants

from tock_paths import require_model, tock, tool

TARGETS = ["Q8_0", "Q4_0", "Q4_1", "BF16", "F16", "F32"]


def awkward_rows(rng, K):
    """Rows that stress the rounding: zeros, a constant, exact halves, huge and tiny values."""
    rows = [np.zeros(K), np.full(K, 0.75), np.full(K, -3.0)]
    halves = (rng.integers(-16, 17, K) / 2.0) * 0.01  # many x/d land exactly on .5
    rows.append(halves)
    big = rng.normal(0, 1, K)
    big[::7] *= 1e4
    rows.append(big)
    rows.append(rng.normal(0, 1e-6, K))
    mixed = rng.normal(0, 1, K)
    mixed[5] = -mixed[5] * 100  # negative max: Q4_0 maps the signed max to -8
    rows.append(mixed)
    return np.array(rows, dtype=np.float32)


def random_q4_k(rng, n_blocks):
    """Random Q4_K blocks with small positive f16 d and dmin (valid, finite values)."""
    raw = rng.integers(0, 256, (n_blocks, 144), dtype=np.uint8)
    small = np.array([0.002, 0.001], dtype=np.float16).view(np.uint8)
    raw[:, 0:4] = small
    return raw


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A small GGUF (no model needed) with the tensor kinds quantize must tell apart."""
    rng = np.random.default_rng(0)
    path = str(tmp_path_factory.mktemp("q") / "src.gguf")
    w = GGUFWriter(path, "llama")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_uint32("test.marker", 1234)
    K = 96
    a = np.concatenate([rng.normal(0, 0.05, (57, K)).astype(np.float32), awkward_rows(rng, K)])
    tensors = {
        "blk.0.attn_q.weight": a,                                                 # F32 matrix
        "blk.0.ffn_up.weight": rng.normal(0, 1, (9, 64)).astype(np.float16),     # F16 matrix
        "blk.0.odd.weight": rng.normal(0, 1, (5, 40)).astype(np.float32),        # K = 40
        "blk.0.attn_norm.weight": rng.normal(1, 0.1, 96).astype(np.float32),      # 1-D
        "output.weight": rng.normal(0, 1, (7, 64)).astype(np.float32),
    }
    for name, t in tensors.items():
        w.add_tensor(name, t)
    q4k = random_q4_k(rng, 3 * 2)  # 3 rows of K = 512
    w.add_tensor("blk.0.ffn_down.weight", q4k.reshape(3, 2 * 144), raw_dtype=QT.Q4_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def read(path):
    r = GGUFReader(path)
    return r, {t.name: t for t in r.tensors}


def as_f32(t):
    """A tensor's values as float32 (N, K), dequantized by gguf-py."""
    return quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(-1, int(t.shape[0])).astype(np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_blocks_match_gguf_py_reference_quantizers(source, tmp_path, target):
    out = str(tmp_path / f"{target}.gguf")
    tock("quantize", source, out, target)
    _, src = read(source)
    rd, dst = read(out)
    qt = QT[target]
    for name in ["blk.0.attn_q.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "output.weight"]:
        t = dst[name]
        assert t.tensor_type == qt, (name, t.tensor_type)
        expected = quants.quantize(as_f32(src[name]), qt)
        got = np.asarray(t.data)
        assert got.tobytes() == np.ascontiguousarray(expected).tobytes(), f"{target} {name}: blocks differ"
    # The rules: 1-D copied as F32; K = 40 is no whole number of blocks -> F16 for block types.
    assert dst["blk.0.attn_norm.weight"].tensor_type == QT.F32
    assert np.array_equal(np.asarray(dst["blk.0.attn_norm.weight"].data), np.asarray(src["blk.0.attn_norm.weight"].data))
    odd = dst["blk.0.odd.weight"]
    assert odd.tensor_type == (QT.F16 if target.startswith("Q") else qt)
    # Metadata kept, file type set as llama.cpp numbers it.
    assert int(rd.fields["test.marker"].parts[-1][0]) == 1234
    ftype = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "BF16": 32}[target]
    assert int(rd.fields["general.file_type"].parts[-1][0]) == ftype


def block_scales(raw, target):
    """Per-element signed scale d of quantized rows, from the stored f16 field."""
    size = {"Q8_0": 34, "Q4_0": 18, "Q4_1": 20}[target]
    blocks = raw.reshape(-1, size)
    d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    return np.repeat(d[:, 0], 32)


@pytest.mark.parametrize("target", ["Q8_0", "Q4_0", "Q4_1", "BF16", "F16"])
def test_dequantized_error_is_within_half_a_step(source, tmp_path, target):
    out = str(tmp_path / f"{target}.gguf")
    tock("quantize", source, out, target)
    _, src = read(source)
    _, dst = read(out)
    x = as_f32(src["blk.0.attn_q.weight"]).ravel()
    y = as_f32(dst["blk.0.attn_q.weight"]).ravel()
    err = np.abs(x - y)
    if target in ("BF16", "F16"):
        # Half an ulp: 2^-8 relative for bf16's 8-bit significand, 2^-11 for f16 (2^-25 absolute
        # in f16's subnormal range).
        bound = np.abs(x) * 2.0**-8 if target == "BF16" else np.abs(x) * 2.0**-11 + 2.0**-25
        assert np.all(err <= bound)
        return
    d = block_scales(np.asarray(dst["blk.0.attn_q.weight"].data), target)
    step = np.abs(d)
    bound = 0.5 * step
    if target == "Q4_0":
        # Levels run -8..7 with the signed max at -8, so values near -max clip at 7: their
        # error is (x/d - 7) steps, at most one step.
        r = np.divide(x, d, out=np.zeros_like(x), where=d != 0)
        bound = np.where(r > 7.5, (r - 7) * step, bound)
    # What rounding d (and Q4_1's min m) to f16 costs: 2^-11 relative on each term, or 2^-25
    # absolute per level where d falls in f16's subnormal range (the 1e-6 row).
    levels = {"Q8_0": 127, "Q4_0": 8, "Q4_1": 16}[target]
    slack = np.abs(x) * 2.0**-10 + step * 2.0**-4 + levels * 2.0**-25
    if target == "Q4_1":
        slack += np.repeat(np.abs(x.reshape(-1, 32).min(axis=1)) * 2.0**-10, 32)
    assert np.all(err <= bound + slack), float(np.max(err - bound - slack))


def test_keep_output_copies_output_and_embedding(source, tmp_path):
    out = str(tmp_path / "k.gguf")
    tock("quantize", "--keep-output", source, out, "Q8_0")
    _, src = read(source)
    _, dst = read(out)
    assert dst["output.weight"].tensor_type == QT.F32
    assert np.array_equal(np.asarray(dst["output.weight"].data), np.asarray(src["output.weight"].data))
    assert dst["blk.0.attn_q.weight"].tensor_type == QT.Q8_0


@pytest.mark.parametrize("args,needle", [
    (["Q3_X"], "unknown type 'Q3_X'"),
    (["Q4_K"], "unknown type 'Q4_K'"),
])
def test_unknown_type_is_one_clear_error(source, tmp_path, args, needle):
    out = tmp_path / "x.gguf"
    r = tock("quantize", source, str(out), *args, check=False)
    assert r.returncode != 0 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


def test_missing_input_is_one_clear_error(tmp_path):
    missing = str(tmp_path / "nope.gguf")
    r = tock("quantize", missing, str(tmp_path / "x.gguf"), "Q8_0", check=False)
    assert r.returncode != 0 and "nope.gguf" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


PROMPT_IDS = [1, 504, 3458, 282, 4649, 314, 253, 1345, 1379, 28, 357, 4010, 30, 378, 3458, 282,
              4649, 314, 1155, 11, 37, 3191, 1688, 30, 1453, 314, 260, 1345, 282, 23836, 47, 5248]


def logits(model, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text(" ".join(map(str, PROMPT_IDS)))
    out = tmp_path / (os.path.basename(model) + ".f32")
    subprocess.run([tool("model_logits"), model, "fast", str(ids), str(out)], check=True, timeout=300)
    return np.fromfile(out, dtype=np.float32).reshape(len(PROMPT_IDS), -1)


@pytest.fixture(scope="module")
def q4_1_logits(tmp_path_factory):
    return logits(require_model(), tmp_path_factory.mktemp("ref"))


@pytest.mark.parametrize("target,min_agree", [("Q8_0", 0.9), ("F16", 0.95)])
def test_default_model_requantized_loads_and_agrees_with_q4_1(tmp_path, q4_1_logits, target, min_agree):
    out = str(tmp_path / f"smollm2.{target}.gguf")
    tock("quantize", "-t", "2", require_model(), out, target)
    _, dst = read(out)
    types = {t.name: t.tensor_type for t in dst.values()}
    assert types["blk.0.attn_q.weight"] == QT[target] and types["blk.0.attn_norm.weight"] == QT.F32
    if target == "Q8_0":  # the CLI loads it and generates (once is enough: same loader for F16)
        r = tock("run", "-m", out, "-p", "The capital of France is", "-n", "3", "--temp", "0")
        assert r.stdout.strip(), r.stderr
    got = logits(out, tmp_path)
    agree = float(np.mean(q4_1_logits.argmax(axis=1) == got.argmax(axis=1)))
    assert agree >= min_agree, agree
