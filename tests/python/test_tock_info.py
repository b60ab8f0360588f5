"""`tock info` on the default model, checked against what gguf-py reads from the same file;
and its errors on a missing and on a truncated file."""
import json
import os
import subprocess

import numpy as np
import pytest
from gguf import GGUFReader, GGUFValueType

MODEL = os.environ.get("TOCK_MODEL", os.path.expanduser("~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TOCK = os.environ.get("TOCK_BIN", "build/release/tock")


def run(*args):
    return subprocess.run([TOCK, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def info():
    assert os.path.exists(MODEL), f"default model missing: {MODEL} (run `tock pull smollm2` or set TOCK_MODEL)"
    r = run("info", "--json", MODEL)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def reader():
    return GGUFReader(MODEL)


def scalar(reader, key):
    f = reader.fields[key]
    if f.types[0] == GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode()
    return f.parts[f.data[0]][0].item()


def test_info_matches_gguf_py(info, reader):
    assert info["file_size"] == os.path.getsize(MODEL)
    assert info["gguf_version"] == 3
    assert info["architecture"] == scalar(reader, "general.architecture") == "llama"
    # Hyper-parameters: every scalar llama.* key, same value.
    want = {k[len("llama."):]: scalar(reader, k) for k, f in reader.fields.items()
            if k.startswith("llama.") and f.types[0] != GGUFValueType.ARRAY}
    assert set(info["hparams"]) == set(want)
    for k, v in want.items():
        if isinstance(v, float):
            assert np.float32(float(info["hparams"][k])) == np.float32(v), k
        else:
            assert info["hparams"][k] == str(v), k
    assert info["hparams"]["embedding_length"] == "576"
    assert info["hparams"]["block_count"] == "30"
    tok = info["tokenizer"]
    assert tok["model"] == scalar(reader, "tokenizer.ggml.model") == "gpt2"
    assert tok["pre"] == scalar(reader, "tokenizer.ggml.pre") == "smollm"
    assert tok["vocab_size"] == len(reader.fields["tokenizer.ggml.tokens"].data) == 49152
    assert tok["merges"] == len(reader.fields["tokenizer.ggml.merges"].data) == 48900
    assert info["chat_template"] == ("tokenizer.chat_template" in reader.fields) is True
    # Tensors by type and the parameter count.
    counts, elements = {}, {}
    for t in reader.tensors:
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
        elements[t.tensor_type.name] = elements.get(t.tensor_type.name, 0) + int(t.n_elements)
    assert {k: v["tensors"] for k, v in info["tensor_types"].items()} == counts == {"Q4_1": 210, "F32": 61, "Q8_0": 1}
    assert {k: v["elements"] for k, v in info["tensor_types"].items()} == elements
    assert info["n_tensors"] == len(reader.tensors) == 272
    assert info["n_params"] == sum(int(t.n_elements) for t in reader.tensors)
    assert info["tensor_bytes"] == sum(int(t.n_bytes) for t in reader.tensors)


def test_info_text_names_the_essentials(info):
    r = run("info", MODEL)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "architecture     llama" in out
    assert "tokenizer        gpt2 (pre smollm), 49152 tokens, 48900 merges" in out
    assert "chat template    yes" in out
    assert f"{info['file_size']} bytes" in out
    assert f"parameters       {info['n_params']} " in out
    assert "Q4_1" in out and "210 tensors" in out
    assert "context_length" in out and "8192" in out


def test_info_on_a_missing_file_is_a_clear_error():
    r = run("info", "/nonexistent/model.gguf")
    assert r.returncode != 0
    assert "gguf: /nonexistent/model.gguf: cannot open: No such file or directory" in r.stderr


def test_info_on_a_truncated_file_names_the_tensor(tmp_path):
    assert os.path.exists(MODEL)
    cut = tmp_path / "cut.gguf"
    with open(MODEL, "rb") as f:
        cut.write_bytes(f.read(5_000_000))
    r = run("info", str(cut))
    assert r.returncode != 0
    assert "ends past the file size 5000000" in r.stderr and "tensor '" in r.stderr, r.stderr
