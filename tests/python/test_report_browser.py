"""The clock report in a real browser (issue 5): headless Chromium opens a report made from a
real traced run, the test checks that every chart rendered (DOM elements present, the page's own
error count is zero, nothing on the console) and saves a screenshot as a CI artifact:
$TOCK_BUILD_DIR/artifacts/report.png.

Chromium runs as root with no network: --headless --no-sandbox --disable-gpu. --dump-dom prints
the DOM after the page's script ran; --enable-logging=stderr prints every console message (the
page logs nothing when it works, so any console line is a failure).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from tock_paths import BUILD_DIR, require_model, tock

N = 24


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium not found: install the Debian package `chromium` (scripts/setup.sh does)")


def browse(url, *extra):
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=10000", *extra, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def report():
    model = require_model()
    d = tempfile.mkdtemp(prefix="tock_report_")
    trace = os.path.join(d, "run.json")
    # Sampling (not greedy) so the page also shows the sampler's final distribution.
    tock("run", "-m", model, "-p", "Tell me about the moon.", "--chat", "-n", str(N), "--temp", "0.8",
         "--seed", "7", "--trace", trace, "--trace-attention")
    html = os.path.join(d, "report.html")
    tock("report", trace, "-o", html)
    with open(trace) as f:
        n_ticks = sum(1 for e in json.load(f)["traceEvents"] if e.get("cat") == "tick")
    return {"html": html, "ticks": n_ticks}


def console_lines(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


def test_report_renders_every_chart_without_errors(report):
    r = browse("file://" + report["html"], "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert console_lines(r.stderr) == []
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-rendered="ok"' in body and 'data-errors="0"' in body, body
    assert dom.count('class="tick-bar"') == report["ticks"]
    assert dom.count('class="hbar"') >= 10          # time per op
    assert dom.count('class="layer-bar"') == 30     # time per layer (SmolLM2-135M)
    assert dom.count('class="entropy-bar"') >= N - 1
    assert dom.count('class="tok"') >= N - 1        # generated text, one span per token
    assert 'id="att-canvas"' in dom and 'id="att-layer"' in dom
    assert 'class="stat"' in dom


def test_report_screenshot_is_saved_as_an_artifact(report):
    out_dir = os.path.join(BUILD_DIR, "artifacts")
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, "report.png")
    if os.path.exists(png):
        os.remove(png)
    r = browse("file://" + report["html"], "--window-size=1400,2400", "--screenshot=" + png)
    assert r.returncode == 0, r.stderr[-2000:]
    assert console_lines(r.stderr) == []
    with open(png, "rb") as f:
        head = f.read(8)
    assert head == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(png) > 50_000  # a drawn page, not a blank one


def test_a_broken_page_is_caught(tmp_path):
    # The checks above can fail: a script error shows on the console and in the page's flag.
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    r = browse("file://" + str(bad), "--dump-dom")
    assert any("Uncaught" in l for l in console_lines(r.stderr))
