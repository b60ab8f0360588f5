#!/usr/bin/env python3
"""Benchmark of `tock serve` (not a test): C concurrent streaming clients, each sending R requests
one after another; every request is a 64-token prompt (random token ids, so no two share a
prefix) and asks for 64 tokens with ignore_eos. Reports, per client count: total tokens/s over the
run (tokens received / wall time), time to first token p50/p99 and inter-token latency p50/p99
(gaps between a stream's consecutive token chunks), from the client's clock; and the server's CPU
time per token received (from /proc; --pid for a server started elsewhere).

Usage: .venv/bin/python bench/serve_bench.py [--tock build/release/tock] [-m MODEL] [--parallel 4]
         [--threads 2] [--batch N] [--clients 1,2,4,8] [--requests 4] [--prompt 64] [--tokens 64]
Starts its own server (--port 0) unless --url is given."""
import argparse
import http.client
import json
import os
import random
import re
import subprocess
import threading
import time
import urllib.parse

import numpy as np


def start_server(args):
    cmd = [args.tock, "serve", "--port", "0", "--parallel", str(args.parallel), "-t", str(args.threads),
           "--ctx", str(args.prompt + args.tokens + 8), "--queue", "64"]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    if args.model:
        cmd += ["-m", args.model]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in proc.stderr:
        print("  " + line.rstrip())
        m = re.search(r"on http://([^:]+):(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, m.group(1), int(m.group(2))
    raise SystemExit("server did not start")


def wait_ready(host, port):
    while True:
        try:
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)


def one_request(host, port, prompt, n_tokens):
    """Streams one completion; returns (ttft, [gaps], tokens)."""
    body = json.dumps({"prompt": prompt, "max_tokens": n_tokens, "temperature": 0, "ignore_eos": True,
                       "stream": True})
    c = http.client.HTTPConnection(host, port, timeout=600)
    t0 = time.perf_counter()
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, r.read()
    times, last = [], {}
    # Stop at `data: [DONE]`: the server keeps the HTTP/1.1 connection open after the stream (keep-alive),
    # so reading to EOF would wait out its keep-alive timeout (~5 s) and count it as serving time.
    # r.readline() (not r.fp) undoes the chunked transfer encoding.
    while True:
        line = r.readline()
        if not line or line.startswith(b"data: [DONE]"):
            break
        if line.startswith(b"data: "):
            chunk = json.loads(line[6:])
            if chunk["choices"] and chunk["choices"][0]["text"]:
                times.append(time.perf_counter())
            last = chunk
    c.close()
    n = last.get("timings", {}).get("predicted_n", len(times))
    return times[0] - t0, list(np.diff(times)), n


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads), from /proc/PID/stat; 0 without a pid."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_level(host, port, clients, requests, args, rng, pid):
    ttft, itl, tokens = [], [], [0]
    lock = threading.Lock()
    prompts = [[rng.randrange(1000, 40000) for _ in range(args.prompt)] for _ in range(clients * requests)]

    def client(k):
        for i in range(requests):
            a, gaps, n = one_request(host, port, prompts[k * requests + i], args.tokens)
            with lock:
                ttft.append(a)
                itl.extend(gaps)
                tokens[0] += n

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0, c0 = time.perf_counter(), cpu_seconds(pid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu_ms = (cpu_seconds(pid) - c0) * 1e3 / tokens[0]
    return (tokens[0] / wall, np.percentile(ttft, 50), np.percentile(ttft, 99), np.percentile(itl, 50),
            np.percentile(itl, 99), cpu_ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tock", default=os.path.join("build", "release", "tock"))
    ap.add_argument("-m", "--model", default="")
    ap.add_argument("--url", default="", help="an already running server")
    ap.add_argument("--pid", type=int, default=0, help="with --url: the server's process id, for its CPU time")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=0, help="tokens per forward pass (default: the server's)")
    ap.add_argument("--clients", default="1,2,4,8")
    ap.add_argument("--requests", type=int, default=4, help="requests per client")
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    proc = None
    if args.url:
        u = urllib.parse.urlparse(args.url)
        host, port = u.hostname, u.port
    else:
        proc, host, port = start_server(args)
    try:
        wait_ready(host, port)
        rng = random.Random(1)
        one_request(host, port, [rng.randrange(1000, 40000) for _ in range(args.prompt)], 4)  # warm
        print(f"parallel {args.parallel}, {args.threads} threads, {args.prompt}-token prompts, {args.tokens} tokens out, "
              f"{args.requests} requests per client; load average {os.getloadavg()[0]:.1f} at the start")
        # Server CPU ms per token (all its threads, prefill included) holds up on a busy machine, where
        # wall-clock rates mostly measure the neighbours.
        print("| clients | total tok/s | TTFT p50 s | TTFT p99 s | ITL p50 ms | ITL p99 ms | server CPU ms/token |")
        print("|---|---|---|---|---|---|---|")
        pid = proc.pid if proc else args.pid
        for c in [int(x) for x in args.clients.split(",")]:
            tps, t50, t99, i50, i99, cpu = run_level(host, port, c, args.requests, args, rng, pid)
            print(f"| {c} | {tps:.1f} | {t50:.3f} | {t99:.3f} | {i50 * 1e3:.1f} | {i99 * 1e3:.1f} | "
                  f"{cpu:.1f} |", flush=True)
    finally:
        if proc:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
