"""`tock tokenize`: output format, flags and errors, checked against Hugging Face tokenizers
built from the default model's vocabulary."""
import functools
import os
import subprocess
import sys

SRC = os.environ.get("TOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "data", "tokenizer"))
import hf_reference  # noqa: E402

TOCK = os.environ.get("TOCK_BIN", os.path.join(SRC, "build", "tock"))
MODEL = os.environ.get("TOCK_MODEL", os.path.expanduser("~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TEXT = "Hello <|im_start|>wörld\n\t😀 42"


def tock(*args, env=None):
    return subprocess.run([TOCK, "tokenize", *args], capture_output=True, text=True, timeout=60, env=env)


@functools.lru_cache(maxsize=None)
def reference(with_added_tokens=True):
    assert os.path.exists(MODEL), f"default model missing: {MODEL} (run `tock pull smollm2`)"
    return hf_reference.byte_level_bpe(hf_reference.read_tokenizer_fields(MODEL), "smollm", with_added_tokens)


def test_lines_are_id_tab_escaped_piece():
    res = tock("-m", MODEL, TEXT)
    assert res.returncode == 0, res.stderr
    ref = reference()
    enc = ref.encode(TEXT, add_special_tokens=False)
    lines = res.stdout.split("\n")[:-1]
    assert [int(l.split("\t")[0]) for l in lines] == enc.ids
    pieces = [l.split("\t", 1)[1] for l in lines]
    assert "<|im_start|>" in pieces
    assert "\\n" in "".join(pieces) and "\\t" in "".join(pieces)  # whitespace shown escaped
    assert "\\xf0\\x9f" in pieces  # a piece ending inside the emoji shows its bytes
    assert all("\n" not in p and "\t" not in p for p in pieces)


def test_ids_flag_prints_only_ids_and_no_special_tokenizes_specials_as_text():
    res = tock("-m", MODEL, "--ids", TEXT)
    assert res.returncode == 0, res.stderr
    assert [int(x) for x in res.stdout.split()] == reference().encode(TEXT, add_special_tokens=False).ids
    res = tock("-m", MODEL, "--ids", "--no-special", TEXT)
    assert [int(x) for x in res.stdout.split()] == reference(False).encode(TEXT, add_special_tokens=False).ids


def test_file_input(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(TEXT.encode())
    a = tock("-m", MODEL, "--ids", "-f", str(p))
    b = tock("-m", MODEL, "--ids", TEXT)
    assert a.returncode == 0 and a.stdout == b.stdout


def test_missing_default_model_says_how_to_get_it(tmp_path):
    env = dict(os.environ, TOCK_CACHE=str(tmp_path))
    env.pop("TOCK_MODEL", None)
    res = tock("hello", env=env)
    assert res.returncode != 0
    assert "tock pull smollm2" in res.stderr


def test_bad_usage_is_an_error():
    assert tock("-m", MODEL).returncode != 0  # neither TEXT nor -f
    res = tock("-m", MODEL, "-f", "/nonexistent/file.txt")
    assert res.returncode != 0 and "/nonexistent/file.txt" in res.stderr
