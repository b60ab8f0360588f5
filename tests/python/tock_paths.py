"""Where the Python reference checks find Tock's binaries and the default model."""
import os
import subprocess

SOURCE_DIR = os.environ.get("TOCK_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("TOCK_BUILD_DIR", os.path.join(SOURCE_DIR, "build", "release"))
TOCK_BIN = os.environ.get("TOCK_BIN", os.path.join(BUILD_DIR, "tock"))
MODEL = os.environ.get("TOCK_MODEL", os.path.expanduser("~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf"))


def tool(name):
    return os.path.join(BUILD_DIR, "tests", name)


def require_model():
    assert os.path.exists(MODEL), f"default model missing at {MODEL}: run `tock pull smollm2`"
    return MODEL


def tock(*args, input=None, check=True, timeout=600):
    return subprocess.run([TOCK_BIN, *args], input=input, capture_output=True, text=True,
                          check=check, timeout=timeout)
