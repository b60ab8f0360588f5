"""A Llama model trained by Tock, exported with export_llama_gguf, read by the gguf package
(llama.cpp's own Python reader, independent of Tock's): llama.cpp's key names and value types,
tensor names, ggml shapes and data, the tokenizer copied; and a numpy forward pass over the
weights as gguf-py reads them (RoPE on adjacent pairs, as llama.cpp rotates `llama` models)
gives the trainer's logits.
"""
import json
import subprocess

import numpy as np
import pytest
from gguf import GGUFReader, GGUFValueType, GGUFWriter

from tock_paths import tool

V = 97


def write_tokenizer(path, n):
    w = GGUFWriter(str(path), arch="llama")  # the arch key is not copied: only tokenizer.*
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list([f"tok{i}" for i in range(n)])
    w.add_token_types([1] * n)
    w.add_eos_token_id(3)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def field(r, key):
    f = r.fields[key]
    if f.types[0] == GGUFValueType.STRING:
        return bytes(f.parts[-1]).decode()
    if f.types[0] == GGUFValueType.ARRAY:
        return [f.parts[i] for i in f.data]
    return f.parts[-1][0]


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rope_adjacent(x, base):
    """x: (T, H, HS); pair (2i, 2i+1) of position t turns by t · base^(-2i/HS)."""
    T, H, HS = x.shape
    theta = np.arange(T)[:, None] * base ** (-2.0 * np.arange(HS // 2) / HS)
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def numpy_logits(r, tokens):
    """llama.cpp's llama graph in float64 over the file's tensors."""
    t = {x.name: np.asarray(x.data, dtype=np.float64) for x in r.tensors}
    C, L = field(r, "llama.embedding_length"), field(r, "llama.block_count")
    NH, NKV = field(r, "llama.attention.head_count"), field(r, "llama.attention.head_count_kv")
    eps, base = float(field(r, "llama.attention.layer_norm_rms_epsilon")), float(field(r, "llama.rope.freq_base"))
    HS, T = C // NH, len(tokens)
    x = t["token_embd.weight"][tokens]
    mask = np.tril(np.ones((T, T), dtype=bool))
    for l in range(L):
        b = f"blk.{l}."
        h = rms_norm(x, t[b + "attn_norm.weight"], eps)
        q = rope_adjacent((h @ t[b + "attn_q.weight"].T).reshape(T, NH, HS), base)
        k = rope_adjacent((h @ t[b + "attn_k.weight"].T).reshape(T, NKV, HS), base)
        v = (h @ t[b + "attn_v.weight"].T).reshape(T, NKV, HS)
        y = np.empty((T, NH, HS))
        for hd in range(NH):
            kv = hd // (NH // NKV)
            s = q[:, hd] @ k[:, kv].T / np.sqrt(HS)
            s = np.where(mask, s, -np.inf)
            p = np.exp(s - s.max(-1, keepdims=True))
            y[:, hd] = (p / p.sum(-1, keepdims=True)) @ v[:, kv]
        x = x + y.reshape(T, C) @ t[b + "attn_output.weight"].T
        h = rms_norm(x, t[b + "ffn_norm.weight"], eps)
        g, u = h @ t[b + "ffn_gate.weight"].T, h @ t[b + "ffn_up.weight"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ t[b + "ffn_down.weight"].T
    x = rms_norm(x, t["output_norm.weight"], eps)
    return x @ t.get("output.weight", t["token_embd.weight"]).T


@pytest.mark.parametrize("untied", [False, True], ids=["tied", "untied"])
def test_export_reads_in_gguf_py_with_the_trainers_logits(tmp_path, untied):
    tok = tmp_path / "tok.gguf"
    write_tokenizer(tok, V)
    out = tmp_path / "model.gguf"
    # lr 0: the exported weights are the initial ones, whose logits the tool wrote.
    flags = ["--layers", "2", "--channels", "64", "--heads", "4", "--kv-heads", "2", "--ffn", "160",
             "--vocab", str(V), "--max-seq", "16", "--batch", "1", "--seq", "16", "--steps", "1",
             "--lr", "0", "--rope-base", "500", "--export", str(out), "--tokenizer", str(tok)]
    subprocess.run([tool("llama_train_check"), str(tmp_path), *flags] + (["--untied"] if untied else []),
                   check=True)
    cfg = json.load(open(tmp_path / "result.json"))
    r = GGUFReader(str(out))

    assert field(r, "general.architecture") == "llama"
    u32 = {"llama.context_length": 16, "llama.embedding_length": 64, "llama.block_count": 2,
           "llama.feed_forward_length": 160, "llama.attention.head_count": 4,
           "llama.attention.head_count_kv": 2, "llama.rope.dimension_count": 16}
    for key, want in u32.items():
        assert r.fields[key].types == [GGUFValueType.UINT32], key
        assert field(r, key) == want, key
    for key, want in {"llama.rope.freq_base": 500.0, "llama.attention.layer_norm_rms_epsilon": 1e-5}.items():
        assert r.fields[key].types == [GGUFValueType.FLOAT32], key
        assert field(r, key) == np.float32(want), key
    assert field(r, "tokenizer.ggml.model") == "gpt2"
    assert len(r.fields["tokenizer.ggml.tokens"].data) == V
    assert field(r, "tokenizer.ggml.eos_token_id") == 3

    names = [t.name for t in r.tensors]
    per_layer = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
                 "ffn_up", "ffn_down"]
    assert names == (["token_embd.weight"] + [f"blk.{l}.{n}.weight" for l in range(2) for n in per_layer]
                     + ["output_norm.weight"] + (["output.weight"] if untied else []))
    shapes = {t.name: list(t.shape) for t in r.tensors}
    assert shapes["token_embd.weight"] == [64, V]
    assert shapes["blk.1.attn_k.weight"] == [64, 32]
    assert shapes["blk.0.ffn_down.weight"] == [160, 64]
    assert all(t.tensor_type == 0 for t in r.tensors)  # F32

    # Tensor data = the trainer's parameters (layer l of a stacked (L, ...) tensor).
    params = np.fromfile(tmp_path / "params_final.f32", dtype=np.float32)
    block = {t["name"]: params[t["offset"]:t["offset"] + int(np.prod(t["shape"]))].reshape(t["shape"])
             for t in cfg["tensors"]}
    data = {t.name: np.asarray(t.data) for t in r.tensors}
    np.testing.assert_array_equal(data["token_embd.weight"], block["tok_embd"])
    np.testing.assert_array_equal(data["blk.1.attn_q.weight"], block["wq"][1])
    np.testing.assert_array_equal(data["blk.0.ffn_down.weight"], block["w_down"][0])
    if untied:
        np.testing.assert_array_equal(data["output.weight"], block["output"])

    tokens = np.fromfile(tmp_path / "tokens.i32", dtype=np.int32)[:16]
    want = np.fromfile(tmp_path / "logits0.f32", dtype=np.float32).reshape(16, V)
    got = numpy_logits(r, tokens)
    assert np.abs(got - want).max() < 1e-5 * max(1.0, np.abs(got).max())
