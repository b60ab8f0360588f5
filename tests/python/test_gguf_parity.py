"""GGUF reader, writer and dequantization checked against the `gguf` Python package.

- every tensor of the default model, dequantized by Tock, equals gguf-py's dequantization;
- random blocks of every supported type (written by gguf-py) dequantize identically;
- metadata and tensor infos read by Tock equal gguf-py's GGUFReader, for the default model and
  for a file with every metadata value type;
- Tock's writer, copying a file read by Tock, reproduces the file byte for byte.
The C++ side is tests/tools/gguf_tool.cpp.
"""
import hashlib
import json
import os
import subprocess

import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q
from gguf import GGUFReader, GGUFValueType, GGUFWriter
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

MODEL = os.environ.get("TOCK_MODEL", os.path.expanduser("~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TOOL = os.path.join(os.environ.get("TOCK_BUILD_DIR", "build/release"), "tests", "gguf_tool")

# Types Tock dequantizes (kernels/dequant.hpp).
TYPES = [Q.F32, Q.F16, Q.BF16, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0, Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K]


def require_model():
    assert os.path.exists(MODEL), f"default model missing: {MODEL} (run `tock pull smollm2` or set TOCK_MODEL)"


def tool(*args) -> str:
    r = subprocess.run([TOOL, *args], capture_output=True, check=False)
    assert r.returncode == 0, f"gguf_tool {args} failed: {r.stderr.decode(errors='replace')}"
    return r.stdout.decode()


@pytest.fixture(scope="module")
def model_reader():
    """gguf-py's reading of the default model (slow to build: shared by the tests here)."""
    require_model()
    return GGUFReader(MODEL)


def compare_dequant(path: str, reader=None) -> dict:
    """Streams Tock's dequantization of every tensor of `path` and compares with gguf-py."""
    reader = reader or GGUFReader(path)
    proc = subprocess.Popen([TOOL, "dequant", path], stdout=subprocess.PIPE)
    checked = {}
    try:
        for t in reader.tensors:
            n = int(t.n_elements)
            raw = proc.stdout.read(4 * n)
            assert len(raw) == 4 * n, f"tensor {t.name}: tool gave {len(raw)} bytes, expected {4 * n}"
            ours = np.frombuffer(raw, dtype=np.float32)
            ref = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(-1)
            assert ours.shape == ref.shape, t.name
            same = np.array_equal(ours, ref, equal_nan=True)
            if not same:
                finite = np.isfinite(ref) & np.isfinite(ours)
                diff = np.abs(ours[finite].astype(np.float64) - ref[finite]).max() if finite.any() else float("nan")
                pytest.fail(f"tensor {t.name} ({t.tensor_type.name}): max abs diff {diff}, "
                            f"NaN mismatch {(np.isnan(ours) != np.isnan(ref)).sum()}")
            checked[t.tensor_type.name] = checked.get(t.tensor_type.name, 0) + 1
        assert proc.stdout.read(1) == b"", "tool wrote more data than the tensors hold"
    finally:
        proc.stdout.close()
        assert proc.wait() == 0
    return checked


def test_every_tensor_of_the_default_model_dequantizes_like_gguf_py(model_reader):
    checked = compare_dequant(MODEL, model_reader)
    assert checked == {"Q4_1": 210, "F32": 61, "Q8_0": 1}


@pytest.fixture(scope="module")
def random_blocks_file(tmp_path_factory):
    """A gguf-py-written file: for each type, 3 rows of random bytes (random f16 scales too)."""
    path = str(tmp_path_factory.mktemp("gguf") / "random_blocks.gguf")
    rng = np.random.default_rng(1234)
    w = GGUFWriter(path, "llama")
    for qtype in TYPES:
        block, type_size = GGML_QUANT_SIZES[qtype]
        blocks_per_row = max(1, 512 // block)
        raw = rng.integers(0, 256, size=(3, blocks_per_row * type_size), dtype=np.uint8)
        if qtype == Q.F32:
            w.add_tensor(f"t.{qtype.name}", raw.view(np.float32))
        elif qtype == Q.F16:
            w.add_tensor(f"t.{qtype.name}", raw.view(np.float16))
        else:
            w.add_tensor(f"t.{qtype.name}", raw, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # random f16 scales include inf/NaN: expected
def test_random_blocks_of_every_type_dequantize_like_gguf_py(random_blocks_file):
    checked = compare_dequant(random_blocks_file)
    assert sorted(checked) == sorted(t.name for t in TYPES)


def field_value(f):
    """A ReaderField's value from its raw parts: strings as bytes, arrays as lists."""
    t = f.types[0]
    if t == GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]])
    if t == GGUFValueType.ARRAY:
        assert len(f.types) == 2, "nested arrays are compared in the C++ tests"
        if f.types[1] == GGUFValueType.STRING:
            return [bytes(f.parts[i]) for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    return f.parts[f.data[0]][0].item()


def tock_value(v, typ):
    if typ in ("string",):
        return bytes.fromhex(v)
    if typ in ("f32",):
        return float(np.float32(v))
    return v


def check_metadata(path, reader=None):
    reader = reader or GGUFReader(path)
    ours = [json.loads(line) for line in tool("meta", path).splitlines()]
    ref = [(k, f) for k, f in reader.fields.items() if not k.startswith("GGUF.")]
    assert [bytes.fromhex(o["key"]).decode() for o in ours] == [k for k, _ in ref]
    for o, (key, f) in zip(ours, ref):
        assert o["type"] == {GGUFValueType.UINT8: "u8", GGUFValueType.INT8: "i8", GGUFValueType.UINT16: "u16",
                             GGUFValueType.INT16: "i16", GGUFValueType.UINT32: "u32", GGUFValueType.INT32: "i32",
                             GGUFValueType.FLOAT32: "f32", GGUFValueType.BOOL: "bool",
                             GGUFValueType.STRING: "string", GGUFValueType.ARRAY: "array",
                             GGUFValueType.UINT64: "u64", GGUFValueType.INT64: "i64",
                             GGUFValueType.FLOAT64: "f64"}[f.types[0]], key
        want = field_value(f)
        if o["type"] == "array":
            got = [tock_value(x, o["elem"]) for x in o["value"]]
            if o["elem"] == "f32":
                want = [float(np.float32(x)) for x in want]
            if o["elem"] == "bool":
                want = [int(x) for x in want]
        else:
            got = tock_value(o["value"], o["type"])
            if o["type"] == "f32":
                want = float(np.float32(want))
            if o["type"] == "bool":
                want = int(want)
        assert got == want, key
    return len(ours)


def test_metadata_of_the_default_model_matches_gguf_py(model_reader):
    assert check_metadata(MODEL, model_reader) > 20


def test_every_metadata_value_type_matches_gguf_py(tmp_path):
    path = str(tmp_path / "kv.gguf")
    w = GGUFWriter(path, "llama")
    w.add_uint8("t.u8", 250)
    w.add_int8("t.i8", -120)
    w.add_uint16("t.u16", 65000)
    w.add_int16("t.i16", -32000)
    w.add_uint32("t.u32", 4_000_000_000)
    w.add_int32("t.i32", -2_000_000_000)
    w.add_float32("t.f32", 0.1)
    w.add_uint64("t.u64", 2**63 + 5)
    w.add_int64("t.i64", -(2**62))
    w.add_float64("t.f64", -1e300)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "héllo\n\t\"<|im_start|>\" 日本語 🙂")
    w.add_array("t.ints", [1, -2, 3])
    w.add_array("t.floats", [0.5, -1.25, 1e-8])
    w.add_array("t.strs", ["a", "", "Ġthe", "ü"])
    w.add_array("t.bools", [True, False, True])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    assert check_metadata(path) == 17  # 16 keys plus general.architecture


def test_tensor_infos_match_gguf_py(model_reader):
    reader = model_reader
    lines = tool("tensors", MODEL).splitlines()
    head = json.loads(lines[0])
    assert head["version"] == 3 and head["alignment"] == 32
    infos = [json.loads(line) for line in lines[1:]]
    assert len(infos) == len(reader.tensors) == 272
    for o, t in zip(infos, reader.tensors):
        assert bytes.fromhex(o["name"]).decode() == t.name
        assert o["type"] == int(t.tensor_type), t.name
        assert o["shape"] == [int(x) for x in t.shape], t.name
        assert o["offset"] == t.data_offset, t.name
        assert o["bytes"] == t.n_bytes, t.name


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_copy_through_tock_reproduces_the_default_model_byte_for_byte(tmp_path):
    require_model()
    out = str(tmp_path / "copy.gguf")
    tool("copy", MODEL, out)
    assert os.path.getsize(out) == os.path.getsize(MODEL)
    assert sha256(out) == sha256(MODEL)


def test_copy_through_tock_is_read_back_by_gguf_py(random_blocks_file, tmp_path):
    out = str(tmp_path / "copy.gguf")
    tool("copy", random_blocks_file, out)
    a, b = GGUFReader(random_blocks_file), GGUFReader(out)
    assert [t.name for t in a.tensors] == [t.name for t in b.tensors]
    for ta, tb in zip(a.tensors, b.tensors):
        assert ta.tensor_type == tb.tensor_type
        assert np.array_equal(np.asarray(ta.data).view(np.uint8), np.asarray(tb.data).view(np.uint8)), ta.name
        assert tb.data_offset % 32 == 0
    assert sha256(out) == sha256(random_blocks_file)
