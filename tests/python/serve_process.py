"""Starts `tock serve` on a free port for the serve tests and stops it; small HTTP helpers."""
import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time

from tock_paths import TOCK_BIN


class ServeProcess:
    def __init__(self, *args, model, api_key=None, ready_timeout=60):
        cmd = [TOCK_BIN, "serve", "-m", model, "--port", "0", *args]
        if api_key:
            cmd += ["--api-key", api_key]
        self.api_key = api_key
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log = []
        self.port = None
        deadline = time.time() + ready_timeout
        for line in self.proc.stderr:  # the startup lines, up to the one naming the port
            self.log.append(line)
            m = re.search(r"on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
            if time.time() > deadline:
                break
        assert self.port, "tock serve did not start:\n" + "".join(self.log)
        threading.Thread(target=self._drain, daemon=True).start()
        while True:  # /health answers 503 until the warm-up forward pass ran
            status, _ = self.request("GET", "/health")
            if status == 200:
                break
            assert self.proc.poll() is None and time.time() < deadline, "server never became ready"
            time.sleep(0.05)

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def headers(self, key="default"):
        key = self.api_key if key == "default" else key
        h = {"Content-Type": "application/json"}
        if key:
            h["Authorization"] = f"Bearer {key}"
        return h

    def request(self, method, path, body=None, key="default", timeout=60):
        """Returns (status, parsed JSON or text). body: dict (sent as JSON), str or bytes."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if isinstance(body, dict):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=self.headers(key))
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        conn.close()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data

    def open_stream(self, path, body, until=1):
        """Sends a streamed POST on a raw socket (to close it mid-reply) and returns the socket once
        `until` SSE events arrived."""
        sock = socket.create_connection(("127.0.0.1", self.port))
        data = json.dumps({**body, "stream": True})
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers().items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(data)}\r\n\r\n{data}".encode())
        got = b""
        while got.count(b"data: ") < until:
            got += sock.recv(4096)
        return sock

    def metric(self, name):
        _, text = self.request("GET", "/metrics")
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
