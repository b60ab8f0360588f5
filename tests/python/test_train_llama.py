"""Tock's Llama-style trainer against PyTorch: same initial weights and batch, then the logits,
the loss, every parameter's gradient, and the weights after 10 AdamW steps (with clipping).

The reference (reference_train_llama.py) runs under the system Python, which has Debian's
python3-torch; the project's .venv has no torch.
"""
import json
import os
import shutil
import subprocess

import pytest

from tock_paths import SOURCE_DIR, tool

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
REFERENCE = os.path.join(SOURCE_DIR, "tests", "python", "reference_train_llama.py")


def reference(tmp_path, *flags):
    # No separate `import torch` probe: importing torch costs seconds; the reference's own
    # ImportError says the same.
    out = subprocess.run([SYSTEM_PYTHON, REFERENCE, tool("llama_train_check"), str(tmp_path), *flags],
                         capture_output=True, text=True, timeout=300)
    assert "No module named 'torch'" not in out.stderr, \
        f"{SYSTEM_PYTHON} has no torch: install python3-torch (scripts/setup.sh)"
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(report, indent=1))
    return report


@pytest.mark.parametrize("flags", [
    # The small config: L=2, C=64, NH=4, NKV=2, F=160, V=97, B=2, T=16, tied output.
    ("--layers", "2", "--channels", "64", "--heads", "4", "--kv-heads", "2", "--ffn", "160",
     "--vocab", "97", "--max-seq", "16", "--batch", "2", "--seq", "16", "--seed", "1"),
    # Awkward sizes: 3 query heads on 1 kv head (HS 12), odd F and V, separate output layer,
    # T < maxT, another RoPE base, no weight decay, a tighter clip.
    ("--layers", "3", "--channels", "36", "--heads", "3", "--kv-heads", "1", "--ffn", "75",
     "--vocab", "101", "--max-seq", "20", "--batch", "3", "--seq", "13", "--seed", "7",
     "--untied", "--rope-base", "500", "--wd", "0.0", "--clip", "0.5", "--beta2", "0.999"),
], ids=["small", "awkward"])
def test_llama_matches_pytorch(tmp_path, flags):
    r = reference(tmp_path, "--steps", "10", *flags)
    assert r["logits_max_abs_diff"] < 1e-5
    assert abs(r["loss0_tock"] - r["loss0_torch"]) < 1e-5
    assert r["loss_max_abs_diff"] < 1e-5
    worst = max(r["grad_rel"], key=r["grad_rel"].get)
    assert r["grad_rel_max"] < 1e-4, f"gradient of {worst}: relative error {r['grad_rel_max']}"
    worst = max(r["param_abs"], key=r["param_abs"].get)
    assert r["param_abs_max"] < 1e-4, f"{worst} after 10 steps: off by {r['param_abs_max']}"
    assert r["grad_norm_max_rel_diff"] < 1e-4


def test_bad_config_is_an_error(tmp_path):
    def err(*flags):
        out = subprocess.run([tool("llama_train_check"), str(tmp_path), *flags], capture_output=True, text=True)
        assert out.returncode == 1
        return out.stderr
    assert "not divisible by kv heads" in err("--heads", "4", "--kv-heads", "3")
    assert "not divisible by heads" in err("--channels", "30", "--heads", "4")
    assert "must be even for RoPE" in err("--channels", "36", "--heads", "4", "--kv-heads", "1")
    assert "exceeds the model's 16" in err("--seq", "17", "--max-seq", "16")
