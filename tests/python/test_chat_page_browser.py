"""The serve chat page (src/serve/chat_page.html) in headless Chromium, driven like a user.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands in on
fd 3, replies out on fd 4, each a JSON message ended by a NUL byte), so no extra package is
needed. The prompt is typed with Input.insertText and sent with a real Enter key event.

First against the real `tock serve` on the default model: GET / serves the page compiled into the
binary (byte-identical to the file), a typed prompt streams a reply, the clock line shows TTFT and
tok/s. Then against a small stub (http.server) that serves the page file and streams OpenAI-style
SSE chunks with a final `timings` object and `data: [DONE]`, and records every request, so the
page's logic is checked exactly: streamed text appears chunk by chunk, the clock line shows the
server's TTFT and tokens/s, the strip has one bar per streamed chunk, the second request
carries the whole conversation, Stop aborts a stream, an API error is shown, and no script
error or console message occurs.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib.request

import pytest

from test_report_browser import chromium
from tock_paths import BUILD_DIR, SOURCE_DIR, TOCK_BIN, require_model

PAGE = os.path.join(SOURCE_DIR, "src", "serve", "chat_page.html")
REPLY = ["Hello", " from", " the", " stub", " server", "."]
TIMINGS = {"prompt_n": 12, "prompt_ms": 40.0, "predicted_n": len(REPLY), "predicted_ms": 100.0,
           "predicted_per_token_ms": 20.0, "ttft_ms": 123.0}


# ---- the stub server -----------------------------------------------------------------------

class Stub(BaseHTTPRequestHandler):
    requests = []        # JSON bodies of every chat request, in order
    disconnected = []    # prompts whose stream the client closed
    # The first "Say hello" stream pauses after two chunks until the test has seen them on the
    # page, so "text appears while streaming" is checked without racing the stream.
    release = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/":
            with open(PAGE, "rb") as f:
                self.reply(200, f.read(), "text/html; charset=utf-8")
        elif self.path == "/v1/models":
            self.reply(200, json.dumps({"object": "list", "data": [{"id": "stub-model"}]}).encode(),
                       "application/json")
        else:
            self.reply(404, b"{}", "application/json")

    def reply(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def event(self, obj):
        self.wfile.write(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")
        self.wfile.flush()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.requests.append(body)
        prompt = body["messages"][-1]["content"]
        if prompt == "bad request":
            err = {"error": {"message": "max_tokens must be positive", "type": "invalid_request_error"}}
            return self.reply(400, json.dumps(err).encode(), "application/json")
        slow = prompt == "slow please"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "stub-model"}
        try:
            self.event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
            self.wfile.write(b": keep-alive comment\n\n")
            words = REPLY if not slow else [" tick"] * 100
            for i, w in enumerate(words):
                if i == 2 and prompt == "Say hello":
                    Stub.release.wait(timeout=60)
                time.sleep(0.2 if slow else 0.03)
                last = i == len(words) - 1
                chunk = {**base, "choices": [{"index": 0, "delta": {"content": w},
                                              "finish_reason": "stop" if last else None}]}
                if last:
                    chunk["timings"] = TIMINGS
                self.event(chunk)
            self.event(b"[DONE]")
        except (BrokenPipeError, ConnectionResetError):
            Stub.disconnected.append(prompt)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


# ---- a DevTools-protocol client over a pipe ------------------------------------------------

class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="tock_chat_browser_")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "about:blank"]
        # bash puts the pipe ends on fds 3 and 4, where Chromium expects them.
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "bash", *args],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf, self.next_id, self.events, self.session = b"", 0, [], None

    def _read_message(self):
        while b"\0" not in self.buf:
            data = os.read(self.from_chrome, 65536)
            if not data:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def open(self, url):
        for _ in range(100):
            pages = [t for t in self.call("Target.getTargets", session=False)["targetInfos"] if t["type"] == "page"]
            if pages:
                break
            time.sleep(0.1)
        self.session = self.call("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Runtime.enable")  # from here on, exceptions and console calls arrive as events
        self.call("Page.navigate", {"url": url})
        self.wait("document.readyState === 'complete' && !!document.getElementById('prompt')")

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expr, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.js(expr):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expr}; page: {self.js('document.body.innerText')!r}")

    def type_and_enter(self, text):
        self.js("document.getElementById('prompt').focus()")
        self.call("Input.insertText", {"text": text})
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                                 "windowsVirtualKeyCode": 13, "text": "\r" if kind == "keyDown" else ""})

    def problems(self):
        """Uncaught exceptions and console messages since the page opened."""
        return [e for e in self.events if e.get("method") in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled")]

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(server):
    b = Browser()
    try:
        b.open(server)
        yield b
    finally:
        b.close()


LAST = "[...document.querySelectorAll('.msg.assistant')].pop()"


def last_reply(b):
    return b.js(f"""(() => {{ const m = {LAST}; return {{
        text: m.querySelector('.text').textContent,
        clock: (m.querySelector('.clock') || {{}}).textContent || '',
        bars: m.querySelectorAll('.strip .bar').length,
        error: (m.querySelector('.error') || {{}}).textContent || '',
        done: m.dataset.done === '1' }}; }})()""")


# ---- the real server ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_server():
    """`tock serve` on the default model, any free port; yields its base URL once /health is ok."""
    proc = subprocess.Popen([TOCK_BIN, "serve", "-m", require_model(), "--port", "0", "--parallel", "1",
                             "--ctx", "512"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if m:
                break
        assert m, "tock serve printed no address:\n" + "".join(lines)
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain the log
        url = f"http://127.0.0.1:{m.group(1)}/"
        end = time.time() + 120
        while time.time() < end:
            try:
                if urllib.request.urlopen(url + "health", timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_real_server_serves_the_page_and_streams_a_reply(real_server):
    with urllib.request.urlopen(real_server, timeout=30) as r, open(PAGE, "rb") as f:
        assert r.headers["Content-Type"].startswith("text/html") and r.read() == f.read()
    b = Browser()
    try:
        b.open(real_server)
        b.wait("document.getElementById('model').textContent.length > 0")  # GET /v1/models answered
        b.js("document.getElementById('max-tokens').value = '16'; document.getElementById('temperature').value = '0'")
        b.type_and_enter("What is the capital of France?")
        b.wait("document.body.dataset.state === 'idle' && document.querySelectorAll('.msg.assistant').length === 1",
               timeout=120)
        r = last_reply(b)
        assert r["done"] and r["error"] == "" and len(r["text"].strip()) > 0, r
        assert re.search(r"TTFT [0-9.]+ m?s", r["clock"]) and re.search(r"[0-9.]+ tok/s", r["clock"]), r["clock"]
        assert r["bars"] >= 1
        assert b.problems() == []
    finally:
        b.close()


# ---- the checks ----------------------------------------------------------------------------

def test_typed_prompt_streams_the_reply_and_shows_the_clock(page):
    page.wait("document.getElementById('model').textContent === 'stub-model'")  # from GET /v1/models
    page.type_and_enter("Say hello")
    # Text appears while the stream is still running (the stub holds the rest back).
    page.wait(f"document.body.dataset.state === 'streaming' && {LAST}.querySelector('.text').textContent === 'Hello from'")
    assert page.js("document.getElementById('stop').disabled") is False
    Stub.release.set()
    page.wait("document.body.dataset.state === 'idle'")
    r = last_reply(page)
    assert r["done"] and r["text"] == "".join(REPLY) and r["error"] == ""
    # TTFT and tok/s come from the server's timings (ttft 123 ms, 20 ms per token -> 50 tok/s).
    assert "TTFT 123 ms" in r["clock"] and "50.0 tok/s" in r["clock"] and "6 tokens" in r["clock"], r["clock"]
    assert r["bars"] == len(REPLY)          # one bar per streamed content chunk
    req = Stub.requests[-1]
    assert req["stream"] is True and req["messages"] == [{"role": "user", "content": "Say hello"}]
    assert page.js("document.getElementById('prompt').value") == ""
    assert page.problems() == []


def test_second_turn_sends_the_whole_conversation(page):
    page.type_and_enter("And again")
    page.wait("document.body.dataset.state === 'idle' && document.querySelectorAll('.msg.assistant').length === 2")
    assert Stub.requests[-1]["messages"] == [
        {"role": "user", "content": "Say hello"},
        {"role": "assistant", "content": "".join(REPLY)},
        {"role": "user", "content": "And again"},
    ]
    assert page.problems() == []


def test_stop_button_aborts_the_stream(page):
    page.type_and_enter("slow please")
    page.wait(f"{LAST}.querySelectorAll('.strip .bar').length >= 2")
    assert page.js("document.getElementById('stop').disabled") is False
    page.js("document.getElementById('stop').click()")
    page.wait("document.body.dataset.state === 'idle'")
    r = last_reply(page)
    assert r["done"] and "stopped" in r["clock"] and 0 < r["text"].count("tick") < 100, r
    # The clock falls back to arrival times measured in the browser (no server timings came).
    assert "TTFT" in r["clock"] and "tok/s" in r["clock"], r["clock"]
    end = time.time() + 10
    while "slow please" not in Stub.disconnected and time.time() < end:
        time.sleep(0.1)
    assert "slow please" in Stub.disconnected       # the connection was really closed
    assert page.problems() == []


def test_api_error_is_shown_and_not_kept_in_the_conversation(page):
    page.type_and_enter("bad request")
    page.wait("document.body.dataset.state === 'idle' && !!" + LAST + ".querySelector('.error')")
    r = last_reply(page)
    assert "max_tokens must be positive (400)" in r["error"], r
    n_before = len(Stub.requests[-1]["messages"])
    page.type_and_enter("Say hello")
    page.wait("document.body.dataset.state === 'idle' && " + LAST + ".querySelector('.text').textContent.length > 0")
    msgs = Stub.requests[-1]["messages"]
    assert len(msgs) == n_before and msgs[-1]["content"] == "Say hello"
    assert all(m["content"] != "bad request" for m in msgs)
    assert page.problems() == []


def test_screenshot_is_saved_as_an_artifact(page):
    """$TOCK_BUILD_DIR/artifacts/chat_page.png: the conversation above, for a person to look at."""
    out_dir = os.path.join(BUILD_DIR, "artifacts")
    os.makedirs(out_dir, exist_ok=True)
    png = base64.b64decode(page.call("Page.captureScreenshot", {"format": "png"})["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    with open(os.path.join(out_dir, "chat_page.png"), "wb") as f:
        f.write(png)
