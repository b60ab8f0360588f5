"""`tock train` end to end on a sliver of the fortunes corpus with a tiny GPT-2 model: the log
(every step once, evaluations, samples, checkpoints), the exported GGUF (llama.cpp's gpt2 names,
read back with gguf-py, and run by `tock run`), exact resume (--stop-at, Ctrl-C, kill -9), and
one clear error for each kind of bad input. The export's logits against the training forward
are checked in tests/cpp/train/trainer_test.cpp."""
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import time

import gguf
import numpy as np
import pytest

from tock_paths import TOCK_BIN, tock
from train_corpus import fortune_files, read_tokenizer

FILES = fortune_files("wisdom", "science")  # ~190 KB
TINY = ["--layers", "2", "--dim", "32", "--heads", "2", "--seq", "32", "--batch", "4"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    tok = str(d / "tok.gguf")
    tock("tokenizer", "train", "--vocab-size", "320", *FILES, "-o", tok)
    tock("data", "prepare", "--tokenizer", tok, *FILES, "-o", str(d / "data"), "--val-fraction", "0.1")
    return d, tok, str(d / "data")


def train(prepared, out, *extra, check=True):
    _, tok, data = prepared
    return tock("train", "--data", data, "--tokenizer", tok, *TINY, "--out", str(out), "-q", *extra, check=check)


def events(run, kind=None):
    with open(os.path.join(run, "log.jsonl")) as f:
        evs = [json.loads(line) for line in f]
    return [e for e in evs if kind is None or e["event"] == kind]


def losses(run):
    return [e["loss"] for e in events(run, "train")]


def checkpoint_header(run):
    with open(os.path.join(run, "checkpoint.bin"), "rb") as f:
        magic, version, n = struct.unpack("<8sII", f.read(16))
        assert magic == b"TOCKCKPT" and version == 1
        return json.loads(f.read(n))


def test_run_logs_every_event_and_exports_a_gpt2_gguf_that_tock_runs(prepared, tmp_path):
    run = tmp_path / "run"
    r = tock("train", "--data", prepared[2], "--tokenizer", prepared[1], *TINY, "--out", str(run), "--steps", "30",
             "--lr", "3e-3", "--eval-every", "10", "--eval-batches", "2", "--sample-every", "15",
             "--sample-tokens", "12", "--checkpoint-every", "10", "-t", "2")
    assert "step    30/30 | loss" in r.stderr and "tok/s | MFU" in r.stderr and "ETA" in r.stderr
    tr = events(run, "train")
    assert [e["step"] for e in tr] == list(range(1, 31))
    assert tr[0]["lr"] == pytest.approx(3e-3) and tr[-1]["lr"] == pytest.approx(3e-4)  # cosine to lr/10
    assert np.mean([e["loss"] for e in tr[-5:]]) < tr[0]["loss"] - 0.3
    assert tr[0]["loss"] == pytest.approx(math.log(320), abs=0.1)  # uniform at init
    ev = events(run, "eval")
    assert [e["step"] for e in ev] == [10, 20, 30]
    for e in ev:
        assert e["val_ppl"] == pytest.approx(math.exp(e["val_loss"]), rel=1e-6)
    assert ev[-1]["val_loss"] < ev[0]["val_loss"]
    samples = events(run, "sample")
    assert [e["step"] for e in samples] == [15, 30] and all(len(e["tokens"]) == 12 for e in samples)
    assert [e["step"] for e in events(run, "checkpoint")] == [10, 20, 30]
    assert checkpoint_header(run)["step"] == 30

    path = str(run / "model.gguf")
    r = gguf.GGUFReader(path)

    def scalar(key):
        f = r.fields[key]
        return bytes(f.parts[-1]).decode() if f.types[0] == gguf.GGUFValueType.STRING else f.parts[-1][0]
    assert scalar("general.architecture") == "gpt2"
    assert (scalar("gpt2.context_length"), scalar("gpt2.embedding_length"), scalar("gpt2.block_count"),
            scalar("gpt2.feed_forward_length"), scalar("gpt2.attention.head_count")) == (32, 32, 2, 128, 2)
    assert scalar("gpt2.attention.layer_norm_epsilon") == pytest.approx(1e-5)
    tokens, merges, _, _ = read_tokenizer(path)
    assert (tokens, merges) == read_tokenizer(prepared[1])[:2]
    want = {"token_embd.weight": (32, 320), "position_embd.weight": (32, 32), "output_norm.weight": (32,),
            "output_norm.bias": (32,), "output.weight": (32, 320)}
    for l in range(2):
        for name, shape in [("attn_norm", (32,)), ("attn_qkv", (32, 96)), ("attn_output", (32, 32)),
                            ("ffn_norm", (32,)), ("ffn_up", (32, 128)), ("ffn_down", (128, 32))]:
            want[f"blk.{l}.{name}.weight"] = shape
            want[f"blk.{l}.{name}.bias"] = (shape[-1],)
    assert {t.name: tuple(int(x) for x in t.shape) for t in r.tensors} == want
    assert all(t.tensor_type == gguf.GGMLQuantizationType.F32 for t in r.tensors)

    out = tock("run", "-m", path, "-p", "The", "-n", "8", "--temp", "0")
    assert out.stdout.strip()


def run_split(prepared, tmp_path, name, threads, stop_at, *arch):
    """The same run twice: straight through, and stopped at stop_at then resumed."""
    args = [*arch, "--steps", "12", "--warmup", "3", "--grad-accum", "2", "--sample-every", "4", "--sample-tokens", "6",
            "--eval-every", "6", "--eval-batches", "1", "-t", str(threads)]
    whole, split = tmp_path / f"{name}_whole", tmp_path / f"{name}_split"
    train(prepared, whole, *args)
    r = train(prepared, split, *args, "--stop-at", str(stop_at))
    assert f"stopped after step {stop_at} of 12" in r.stderr
    assert not (split / "model.gguf").exists()
    tock("train", "--resume", str(split), "-q", "-t", str(threads))
    assert [e["step"] for e in events(split, "train")] == list(range(1, 13))
    assert (split / "model.gguf").exists()
    return whole, split


def test_resume_continues_bitwise_on_one_thread(prepared, tmp_path):
    whole, split = run_split(prepared, tmp_path, "t1", 1, 5)
    assert losses(split) == losses(whole)  # bitwise: the floats as printed round-trip
    assert [e["text"] for e in events(split, "sample")] == [e["text"] for e in events(whole, "sample")]
    assert [e["val_loss"] for e in events(split, "eval")] == [e["val_loss"] for e in events(whole, "eval")]
    assert (split / "model.gguf").read_bytes() == (whole / "model.gguf").read_bytes()


def test_resume_continues_within_1e6_on_two_threads(prepared, tmp_path):
    whole, split = run_split(prepared, tmp_path, "t2", 2, 7)
    np.testing.assert_allclose(losses(split), losses(whole), rtol=0, atol=1e-6)


def test_llama_arch_resumes_bitwise_and_exports_a_llama_gguf(prepared, tmp_path):
    whole, split = run_split(prepared, tmp_path, "llama", 1, 6, "--arch", "llama", "--kv-heads", "1")
    assert losses(split) == losses(whole)
    r = gguf.GGUFReader(str(split / "model.gguf"))
    assert bytes(r.fields["general.architecture"].parts[-1]).decode() == "llama"
    assert int(r.fields["llama.attention.head_count_kv"].parts[-1][0]) == 1
    assert tock("run", "-m", str(split / "model.gguf"), "-p", "The", "-n", "4", "--temp", "0").returncode == 0
    # Fine-tuning from the exported GGUF (--init; its tokenizer is the default). With a learning
    # rate of 1e-30 the weights stay the exported ones, so its validation loss (same windows, same
    # batch size) equals the trained run's final one.
    tuned = tmp_path / "tuned"
    r = tock("train", "--data", prepared[2], "--init", str(split / "model.gguf"), "--seq", "32", "--batch", "4",
             "--steps", "1", "--lr", "1e-30", "--eval-every", "1", "--eval-batches", "1", "--out", str(tuned),
             "-q", "-t", "1")
    assert "llama, 2 layers, dim 32, 2 heads" in r.stderr
    assert events(tuned, "eval")[0]["val_loss"] == pytest.approx(events(whole, "eval")[-1]["val_loss"], abs=1e-6)


def wait_for_step(proc, run, step, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        assert proc.poll() is None, "training ended before it could be interrupted"
        try:
            tr = events(run, "train")
        except (FileNotFoundError, json.JSONDecodeError):
            tr = []
        if tr and tr[-1]["step"] >= step:
            return tr[-1]["step"]
        time.sleep(0.01)
    raise AssertionError(f"no step {step} within {timeout} s")


def start(prepared, run, *extra):
    _, tok, data = prepared
    return subprocess.Popen([TOCK_BIN, "train", "--data", data, "--tokenizer", tok, *TINY, "--out", str(run), "-q",
                             "-t", "1", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_then_resume_logs_every_step_exactly_once(prepared, tmp_path):
    run = tmp_path / "killed"
    # Many steps, so that the kill lands mid-run on any machine; the resume then ends sooner.
    proc = start(prepared, run, "--steps", "5000", "--checkpoint-every", "7")
    wait_for_step(proc, run, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    logged = events(run, "train")[-1]["step"]
    at = checkpoint_header(run)["step"]
    assert at % 7 == 0 and at <= logged  # the steps after the checkpoint will be trained again
    tock("train", "--resume", str(run), "-q", "-t", "1", "--steps", str(logged + 5))
    assert [e["step"] for e in events(run, "train")] == list(range(1, logged + 6))
    resumes = events(run, "resume")
    assert [e["step"] for e in resumes] == [at]


def test_ctrl_c_writes_a_checkpoint_and_exits_zero(prepared, tmp_path):
    run = tmp_path / "interrupted"
    proc = start(prepared, run, "--steps", "5000")
    wait_for_step(proc, run, 5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    last = events(run, "train")[-1]["step"]
    assert f"stopped after step {last} of 5000" in err and "--resume" in err
    assert checkpoint_header(run)["step"] == last
    assert events(run)[-1] == {"event": "stop", "reason": "interrupt", "step": last}
    assert not (run / "model.gguf").exists()


def error_of(r):
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("tock: error: "), r.stderr
    return lines[-1]


def test_missing_or_empty_data_is_a_clear_error(prepared, tmp_path):
    (tmp_path / "nothing").mkdir()
    assert "no token shards" in error_of(tock("train", "--data", str(tmp_path / "nothing"), "--tokenizer",
                                              prepared[1], "--steps", "2", check=False))
    empty = tmp_path / "empty"
    shutil.copytree(prepared[2], empty)
    meta = json.loads((empty / "meta.json").read_text())
    meta["train"] = {"documents": 0, "tokens": 0, "shards": []}
    (empty / "meta.json").write_text(json.dumps(meta))
    assert "holds no training tokens" in error_of(tock("train", "--data", str(empty), "--tokenizer", prepared[1],
                                                       "--steps", "2", check=False))


def test_tokenizer_vocab_mismatch_is_a_clear_error(prepared, tmp_path):
    other = str(tmp_path / "other.gguf")
    tock("tokenizer", "train", "--vocab-size", "300", *FILES, "-o", other)
    msg = error_of(tock("train", "--data", prepared[2], "--tokenizer", other, "--steps", "2", check=False))
    assert "vocabulary mismatch" in msg and "300" in msg and "320" in msg
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"layers": 1, "dim": 16, "heads": 2, "vocab": 500}))
    msg = error_of(train(prepared, tmp_path / "r", "--config", str(cfg), "--steps", "2", check=False))
    assert "vocabulary mismatch" in msg and "500" in msg


def test_model_too_big_for_memory_is_refused_before_allocating(prepared, tmp_path):
    t0 = time.time()
    msg = error_of(tock("train", "--data", prepared[2], "--tokenizer", prepared[1], "--layers", "64", "--dim", "8192",
                        "--heads", "64", "--steps", "2", "--out", str(tmp_path / "big"), check=False))
    assert time.time() - t0 < 5
    assert "does not fit in memory" in msg and "GiB" in msg and "MemAvailable" in msg
    # 64 layers x (12 C^2 + 13 C) + (V + T) C + 2 C parameters, as the message states them
    C = 8192
    assert f"{64 * (12 * C * C + 13 * C) + (320 + 128) * C + 2 * C} parameters" in msg


def test_non_finite_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(prepared, tmp_path):
    run = tmp_path / "diverged"
    msg = error_of(train(prepared, run, "--steps", "20", "--lr", "1e30", "--checkpoint-every", "1", check=False))
    step = int(msg.split("training stopped at step ")[1].split(":")[0])
    assert "nan" in msg or "inf" in msg
    assert checkpoint_header(run)["step"] == step - 1
    assert events(run)[-1] == {"event": "stop", "reason": "non-finite", "step": step}
    assert all(math.isfinite(e["loss"]) for e in events(run, "train"))


def test_bad_config_and_flags_are_clear_errors(prepared, tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"layerz": 2}))
    assert "unknown key 'layerz'" in error_of(train(prepared, tmp_path / "r1", "--config", str(cfg), "--steps", "2",
                                                    check=False))
    assert "--ff" in error_of(train(prepared, tmp_path / "r2", "--ff", "100", "--steps", "2", check=False))
    assert "--resume" in error_of(tock("train", "--resume", str(tmp_path / "none"), check=False))
    assert "sizes come from" in error_of(train(prepared, tmp_path / "r3", "--init", prepared[1], "--steps", "2",
                                               check=False))
