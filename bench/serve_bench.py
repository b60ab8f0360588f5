#!/usr/bin/env python3
"""Benchmark of `tock serve` (not a test), alone or side by side with llama.cpp's llama-server: C
concurrent streaming clients, each sending R requests one after another; every request is a
64-token prompt (random token ids, so no two share a prefix; both servers take token-id prompts)
and asks for 64 tokens, greedy, with ignore_eos. Reports, per server and client count: total
tokens/s over the run (tokens received / wall time), time to first token p50/p99 and inter-token
latency p50/p99 (gaps between a stream's consecutive token chunks), from the client's clock; the
TTFT p99 of the requests after each client's first (which arrive as earlier ones end, not all at
once); and
the server's CPU time per token received (from /proc; --pid for a server started elsewhere).

With --llama-server PATH both servers run at once (same model, slots, threads and context per
slot) and take turns: at each client count the two get the same prompts, the order alternating
from one count to the next, so a neighbour's load on a shared machine falls on both.

Usage: .venv/bin/python bench/serve_bench.py [--tock build/release/tock] [-m MODEL] [--parallel 4]
         [--threads 2] [--batch N] [--clients 1,2,4,8] [--requests 4] [--prompt 64] [--tokens 64]
         [--llama-server ~/.cache/tock/llama.cpp/build-0.3.36/bin/llama-server]
Starts its own server(s) (any free port) unless --url is given."""
import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import urllib.parse

import numpy as np


class Server:
    """A server under test: where it listens, its process (for CPU time) and its name in the table."""

    def __init__(self, name, host, port, proc=None, pid=0):
        self.name, self.host, self.port, self.proc = name, host, port, proc
        self.pid = proc.pid if proc else pid

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


def drain(stream):
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()


def ctx_per_slot(args):
    return args.prompt + args.tokens + 8


def start_tock(args):
    cmd = [args.tock, "serve", "--port", "0", "--parallel", str(args.parallel), "-t", str(args.threads),
           "--ctx", str(ctx_per_slot(args)), "--queue", "64"]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    if args.model:
        cmd += ["-m", args.model]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in proc.stderr:
        print("  " + line.rstrip())
        m = re.search(r"on http://([^:]+):(\d+)", line)
        if m:
            drain(proc.stderr)
            return Server("tock", m.group(1), int(m.group(2)), proc)
    raise SystemExit("tock serve did not start")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_model(args):
    """The model tock serves by default (`tock pull` prints its path), for llama-server."""
    out = subprocess.run([args.tock, "pull"], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def start_llama(args):
    # llama-server splits -c over its -np slots: give each slot the context tock's slots get.
    # Its other settings stay at their defaults (continuous batching, n_batch 2048 / n_ubatch 512).
    port = free_port()
    cmd = [os.path.expanduser(args.llama_server), "-m", args.model or default_model(args),
           "-np", str(args.parallel), "-t", str(args.threads), "-c", str(args.parallel * ctx_per_slot(args)),
           "--host", "127.0.0.1", "--port", str(port)]
    if args.batch:
        cmd += ["-b", str(args.batch), "-ub", str(args.batch)]
    print("  " + " ".join(cmd))
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return Server("llama-server", "127.0.0.1", port, proc)


def wait_ready(server, timeout=300):
    deadline = time.time() + timeout
    while True:
        if server.proc and server.proc.poll() is not None:
            raise SystemExit(f"{server.name} exited with {server.proc.returncode} before it was ready")
        try:
            c = http.client.HTTPConnection(server.host, server.port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit(f"{server.name} not ready after {timeout} s")
        time.sleep(0.1)


def one_request(server, prompt, n_tokens):
    """Streams one completion; returns (ttft, [gaps], tokens)."""
    body = json.dumps({"prompt": prompt, "max_tokens": n_tokens, "temperature": 0, "ignore_eos": True,
                       "stream": True})
    c = http.client.HTTPConnection(server.host, server.port, timeout=600)
    t0 = time.perf_counter()
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, r.read()
    times, n_timed = [], None
    # Stop at `data: [DONE]`: the server keeps the HTTP/1.1 connection open after the stream (keep-alive),
    # so reading to EOF would wait out its keep-alive timeout (~5 s) and count it as serving time.
    # r.readline() (not r.fp) undoes the chunked transfer encoding.
    while True:
        line = r.readline()
        if not line or line.startswith(b"data: [DONE]"):
            break
        if line.startswith(b"data: "):
            chunk = json.loads(line[6:])
            if chunk.get("choices") and chunk["choices"][0].get("text"):
                times.append(time.perf_counter())
            # Both servers put llama.cpp's `timings` (predicted_n: tokens generated) on a late chunk.
            n_timed = chunk.get("timings", {}).get("predicted_n", n_timed)
    c.close()
    return times[0] - t0, list(np.diff(times)), n_timed if n_timed is not None else len(times)


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads), from /proc/PID/stat; 0 without a pid."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_prompts(args, clients, requests):
    """The prompts of one client count: the same for every server (seeded by the count)."""
    rng = random.Random(1000 + clients)
    return [[rng.randrange(1000, 40000) for _ in range(args.prompt)] for _ in range(clients * requests)]


def run_level(server, clients, requests, args, prompts):
    ttft, later, itl, tokens = [], [], [], [0]
    lock = threading.Lock()

    def client(k):
        for i in range(requests):
            a, gaps, n = one_request(server, prompts[k * requests + i], args.tokens)
            with lock:
                ttft.append(a)
                if i > 0:
                    later.append(a)
                itl.extend(gaps)
                tokens[0] += n

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0, c0 = time.perf_counter(), cpu_seconds(server.pid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu_ms = (cpu_seconds(server.pid) - c0) * 1e3 / tokens[0]
    later_p99 = np.percentile(later, 99) if later else float("nan")
    return (tokens[0] / wall, np.percentile(ttft, 50), np.percentile(ttft, 99), later_p99, np.percentile(itl, 50),
            np.percentile(itl, 99), cpu_ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tock", default=os.path.join("build", "release", "tock"))
    ap.add_argument("-m", "--model", default="")
    ap.add_argument("--url", default="", help="an already running server (instead of starting tock)")
    ap.add_argument("--pid", type=int, default=0, help="with --url: the server's process id, for its CPU time")
    ap.add_argument("--llama-server", default="", help="llama-server binary: run it side by side with tock")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=0, help="tokens per forward pass (default: each server's)")
    ap.add_argument("--clients", default="1,2,4,8")
    ap.add_argument("--requests", type=int, default=4, help="requests per client")
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    servers = []
    try:
        if args.url:
            u = urllib.parse.urlparse(args.url)
            servers.append(Server(args.url, u.hostname, u.port, pid=args.pid))
        else:
            servers.append(start_tock(args))
        if args.llama_server:
            servers.append(start_llama(args))
        for s in servers:
            wait_ready(s)
            warm = random.Random(7)
            one_request(s, [warm.randrange(1000, 40000) for _ in range(args.prompt)], 4)
        print(f"parallel {args.parallel}, {args.threads} threads, {args.prompt}-token prompts, {args.tokens} tokens out, "
              f"{args.requests} requests per client; load average {os.getloadavg()[0]:.1f} at the start")
        # Server CPU ms per token (all its threads, prefill included) holds up on a busy machine, where
        # wall-clock rates mostly measure the neighbours.
        # The first round's C prompts arrive at once and wait on each other's prefill; later requests
        # arrive as earlier ones end (in groups that ended together): "later p99" is their TTFT p99.
        print("| server | clients | total tok/s | TTFT p50 s | TTFT p99 s | later p99 s | ITL p50 ms | ITL p99 ms | "
              "server CPU ms/token |")
        print("|---|---|---|---|---|---|---|---|---|")
        for i, c in enumerate(int(x) for x in args.clients.split(",")):
            prompts = make_prompts(args, c, args.requests)
            for s in (servers if i % 2 == 0 else servers[::-1]):
                tps, t50, t99, l99, i50, i99, cpu = run_level(s, c, args.requests, args, prompts)
                print(f"| {s.name} | {c} | {tps:.1f} | {t50:.3f} | {t99:.3f} | {l99:.3f} | {i50 * 1e3:.1f} | {i99 * 1e3:.1f} | "
                      f"{cpu:.1f} |", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
