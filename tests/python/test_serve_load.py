"""tock serve under bounded load on loopback: 120 requests (env TOCK_LOAD_REQUESTS: more) at concurrency 16 with random prompts and
max_tokens; a tenth disconnect mid-stream, a tenth are malformed. Every well-formed request is
answered (200) or refused with 503 + Retry-After, the malformed ones get 400, the server stays up,
no slot leaks (0 active at the end) and resident memory stays within 10% between the first and
the last part of the run. Real model (SmolLM2-135M), --parallel 4, a queue that just holds the clients (503s only while cancelled requests still hold places)."""
import concurrent.futures
import http.client
import json
import os
import random
import re
import socket
import time

from serve_process import ServeProcess
from tock_paths import require_model

# CI runs 120 requests; the full size is TOCK_LOAD_REQUESTS=500 (run by hand, ~minutes).
N_REQUESTS = int(os.environ.get("TOCK_LOAD_REQUESTS", "120"))
CONCURRENCY = 16
WORDS = ("time river stone light green quick blue apple seven music cloud paper north silver garden "
         "engine window story winter ocean").split()


def well_formed(port, rng, stream):
    body = {"messages": [{"role": "user", "content": " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))}],
            "max_tokens": rng.randint(1, 8), "temperature": rng.choice([0, 0.8]), "seed": rng.randint(0, 99),
            "stream": stream}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read().decode()
    conn.close()
    if r.status == 503:
        assert r.getheader("Retry-After") == "1"
        assert json.loads(data)["error"]["type"] == "overloaded_error"
        time.sleep(0.5)  # a polite client backs off before its next request
        return "503"
    assert r.status == 200, (r.status, data)
    if stream:
        events = [l[6:] for l in data.split("\n") if l.startswith("data: ")]
        assert events[-1] == "[DONE]", data
        chunks = [json.loads(e) for e in events[:-1]]
        assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    else:
        j = json.loads(data)
        assert j["choices"][0]["finish_reason"] in ("stop", "length")
        assert j["usage"]["completion_tokens"] <= body["max_tokens"]
    return "200"


def disconnect(port, rng):
    body = json.dumps({"messages": [{"role": "user", "content": "Tell a long story about " + rng.choice(WORDS)}],
                       "max_tokens": 60, "stream": True})
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    got = b""
    while b"data: " not in got and b"503" not in got[:20]:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()  # mid-stream
    return "disconnect"


def malformed(port, rng):
    body = rng.choice(['{"messages": [', '{"messages": 5}', '{"messages": [{"role": "user", "content": "x"}], '
                       '"max_tokens": -3}', "null", '{"prompt": "x", "temperature": [1]}'])
    path = "/v1/completions" if "prompt" in body else "/v1/chat/completions"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = json.loads(r.read())
    conn.close()
    assert r.status == 400 and data["error"]["type"] == "invalid_request_error", (r.status, data)
    return "400"


def burst_beyond_the_queue(server, n=20):
    """n requests at once into an idle server holding 4 slots + 12 queue places: at least 16 are taken,
    the rest refused with 503 + Retry-After (back-pressure, which the polite clients above rarely meet)."""
    body = json.dumps({"prompt": "Hello", "max_tokens": 1})
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=60) for _ in range(n)]
    for s in socks:  # all sent before any reply is read
        s.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode())
    statuses = []
    for s in socks:
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
        s.close()
        head = reply.split(b"\r\n\r\n", 1)[0].decode()
        statuses.append(int(head.split()[1]))
        if statuses[-1] == 503:
            assert "\r\nRetry-After: 1" in head, head
    assert statuses.count(200) >= 16 and statuses.count(503) >= 1, statuses
    assert statuses.count(200) + statuses.count(503) == n, statuses


def test_load_with_disconnects_and_malformed_requests():
    server = ServeProcess("--parallel", "4", "--queue", "12", "--ctx", "512", "-t", "2", model=require_model())
    try:
        rng = random.Random(7)
        kinds = ["disconnect"] * (N_REQUESTS // 10) + ["malformed"] * (N_REQUESTS // 10)
        kinds += ["stream" if i % 2 else "plain" for i in range(N_REQUESTS - len(kinds))]
        rng.shuffle(kinds)
        seeds = [rng.randint(0, 1 << 30) for _ in kinds]

        def one(i):
            r = random.Random(seeds[i])
            k = kinds[i]
            if k == "disconnect":
                return disconnect(server.port, r)
            if k == "malformed":
                return malformed(server.port, r)
            return well_formed(server.port, r, k == "stream")

        counts = {}
        rss = []
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            futures = [pool.submit(one, i) for i in range(N_REQUESTS)]
            for n, f in enumerate(concurrent.futures.as_completed(futures)):
                counts[f.result()] = counts.get(f.result(), 0) + 1
                if n in (min(100, N_REQUESTS // 4), N_REQUESTS - 1):  # after the first hundred at most
                    rss.append(server.rss_kib())
        elapsed = time.time() - t0
        print(f"load: {counts} in {elapsed:.1f} s, RSS {rss} KiB")
        assert server.alive()
        assert counts.get("200", 0) + counts.get("503", 0) == N_REQUESTS - 2 * (N_REQUESTS // 10)
        assert counts.get("200", 0) >= N_REQUESTS // 4
        assert counts.get("400") == N_REQUESTS // 10 and counts.get("disconnect") == N_REQUESTS // 10
        assert sum(counts.values()) == N_REQUESTS
        deadline = time.time() + 10
        while server.metric("tock_active_sequences") != 0 or server.metric("tock_queue_length") != 0:
            assert time.time() < deadline, "slots still held after the load"
            time.sleep(0.05)
        assert abs(rss[1] - rss[0]) <= 0.10 * rss[0], rss
        # The counters agree with what the clients saw.
        _, text = server.request("GET", "/metrics")
        assert f'tock_requests_total{{status="400"}} {N_REQUESTS // 10}' in text
        m = re.search(r'tock_requests_total\{status="503"\} (\d+)', text)
        served_503 = int(m.group(1)) if m else 0  # a disconnecting client may also have been refused
        assert counts.get("503", 0) <= served_503 <= counts.get("503", 0) + N_REQUESTS // 10
        burst_beyond_the_queue(server)
    finally:
        assert server.stop() == 0, "".join(server.log)
