"""tock serve: the official `openai` client (chat, streaming, stop strings, logprobs, errors),
greedy output equal to `tock run`, logprobs equal to a numpy log-softmax of the model's logits,
every error status and shape, the API key, the body limit, batching-equals-alone, prefix reuse and
a client disconnect freeing its slot. Real model (SmolLM2-135M), small max_tokens."""
import http.client
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

import numpy as np
import openai
import pytest

from serve_process import ServeProcess
from tock_paths import require_model, tock, tool

KEY = "sk-test-123"
CTX = 256


@pytest.fixture(scope="module")
def server():
    s = ServeProcess("--parallel", "4", "--ctx", str(CTX), "--max-body", "65536", "-t", "2",
                     model=require_model(), api_key=KEY)
    yield s
    assert s.alive(), "the server died during the tests:\n" + "".join(s.log)
    assert s.stop() == 0, "".join(s.log)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=KEY, max_retries=0, timeout=60)


def chat(client, content, **kw):
    kw.setdefault("max_tokens", 12)
    kw.setdefault("temperature", 0)
    return client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": content}], **kw)


def test_chat_completion_equals_tock_run_greedy(client):
    r = chat(client, "What is the capital of France?", max_tokens=10)
    ref = tock("run", "-m", require_model(), "--chat", "--temp", "0", "-n", "10", "-t", "2",
               "-p", "What is the capital of France?").stdout
    assert r.choices[0].message.content == ref
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason in ("stop", "length")
    assert 0 < r.usage.completion_tokens <= 10
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    t = r.model_extra["timings"]
    assert t["prompt_n"] == r.usage.prompt_tokens and t["predicted_n"] == r.usage.completion_tokens
    assert t["ttft_ms"] > 0 and t["prompt_ms"] > 0 and t["predicted_per_token_ms"] >= 0


def test_streaming_equals_non_streaming(client):
    full = chat(client, "Name three colours.", max_tokens=16).choices[0].message.content
    stream = chat(client, "Name three colours.", max_tokens=16, stream=True,
                  stream_options={"include_usage": True})
    parts, finish, usage, timings = [], None, None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.content:
                parts.append(c.delta.content)
            if c.finish_reason:
                finish = c.finish_reason
                timings = chunk.model_extra.get("timings")
    assert "".join(parts) == full
    assert finish in ("stop", "length")
    assert usage is not None and usage.completion_tokens > 0
    assert timings is not None and timings["predicted_n"] == usage.completion_tokens


def test_stop_string_cuts_the_reply(client):
    full = chat(client, "Count from one to ten in words.", max_tokens=24).choices[0].message.content
    assert len(full) > 12, full
    stop = full[6:9]
    r = chat(client, "Count from one to ten in words.", max_tokens=24, stop=[stop, "zzzz"])
    assert r.choices[0].message.content == full[: full.index(stop)]
    assert r.choices[0].finish_reason == "stop"


def test_completion_echo_puts_the_prompt_before_the_reply(server, client):
    prompt = "Once upon a time, in a"
    plain = client.completions.create(model="smollm2", prompt=prompt, max_tokens=8, temperature=0).choices[0].text
    echoed = client.completions.create(model="smollm2", prompt=prompt, max_tokens=8, temperature=0, echo=True)
    assert echoed.choices[0].text == prompt + plain
    streamed = client.completions.create(model="smollm2", prompt=prompt, max_tokens=8, temperature=0, echo=True,
                                         stream=True)
    assert "".join(c.choices[0].text for c in streamed if c.choices) == prompt + plain
    # Token ids come back as their text.
    _, tk = server.request("POST", "/tokenize", {"content": prompt})
    by_ids = client.completions.create(model="smollm2", prompt=tk["tokens"], max_tokens=8, temperature=0, echo=True)
    assert by_ids.choices[0].text == prompt + plain
    with pytest.raises(openai.BadRequestError) as e:
        client.completions.create(model="smollm2", prompt=prompt, max_tokens=4, echo=True, logprobs=2)
    assert "echo" in str(e.value)


def test_logit_bias_steers_greedy_decoding(server, client):
    prompt = "The colour of the sky is"
    plain = client.completions.create(model="smollm2", prompt=prompt, max_tokens=6, temperature=0,
                                      logprobs=0).choices[0]
    first = plain.logprobs.tokens[0]
    _, tk = server.request("POST", "/tokenize", {"content": first})
    assert len(tk["tokens"]) == 1, tk
    banned = client.completions.create(model="smollm2", prompt=prompt, max_tokens=6, temperature=0,
                                       logit_bias={str(tk["tokens"][0]): -100}).choices[0].text
    assert not banned.startswith(first) and banned != plain.text
    _, sea = server.request("POST", "/tokenize", {"content": " sea"})
    forced = client.completions.create(model="smollm2", prompt=prompt, max_tokens=4, temperature=0,
                                       logit_bias={str(sea["tokens"][0]): 100}).choices[0].text
    assert forced == " sea" * 4
    for bias, word in (({"49152": 1}, "49152"), ({"x": 1}, "x"), ({"5": 101}, "logit_bias")):
        with pytest.raises(openai.BadRequestError) as e:
            client.completions.create(model="smollm2", prompt=prompt, max_tokens=2, logit_bias=bias)
        assert word in str(e.value)


def test_unsupported_fields_are_refused_not_ignored(client):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    with pytest.raises(openai.BadRequestError) as e:
        chat(client, "hi", tools=tools)
    assert "tools" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        chat(client, "hi", response_format={"type": "json_object"})
    assert "response_format" in str(e.value)
    assert chat(client, "hi", max_tokens=2, response_format={"type": "text"}).choices[0].message.content
    with pytest.raises(openai.BadRequestError) as e:  # a user turn without content
        client.chat.completions.create(model="smollm2", messages=[{"role": "user"}], max_tokens=2)
    assert "messages[0].content" in str(e.value)
    r = client.chat.completions.create(model="smollm2", max_tokens=2, temperature=0, messages=[
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": None}, {"role": "user", "content": "ok"}])
    assert r.choices[0].finish_reason in ("stop", "length")  # accepted and answered


def test_logprobs_match_numpy_log_softmax_of_the_model_logits(server, client):
    # The prompt as token ids through /v1/completions, so the reference sees exactly those ids.
    _, tk = server.request("POST", "/tokenize", {"content": "The quick brown fox"})
    ids = tk["tokens"]
    r = client.completions.create(model="smollm2", prompt=ids, max_tokens=3, temperature=0, logprobs=5)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == 3 and "".join(lp.tokens) == r.choices[0].text
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "ids"), "w") as f:
            f.write(" ".join(map(str, ids)))
        subprocess.run([tool("model_logits"), require_model(), "fast", f.name, os.path.join(d, "out")], check=True)
        logits = np.fromfile(os.path.join(d, "out"), dtype=np.float32).reshape(len(ids), -1)[-1].astype(np.float64)
    ref = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
    first = int(np.argmax(ref))
    _, dt = server.request("POST", "/detokenize", {"tokens": [first]})
    assert lp.tokens[0] == dt["content"]
    assert lp.token_logprobs[0] == pytest.approx(ref[first], abs=2e-3)
    top = lp.top_logprobs[0]
    assert len(top) == 5
    for tok_id in np.argsort(-ref)[:5]:
        _, dt = server.request("POST", "/detokenize", {"tokens": [int(tok_id)]})
        assert top[dt["content"]] == pytest.approx(ref[tok_id], abs=2e-3)


def test_chat_logprobs_shape(client):
    r = chat(client, "Say hello.", max_tokens=5, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert 0 < len(content) <= 5
    for e in content:
        assert e.logprob <= 0 and len(e.top_logprobs) == 3
        assert e.top_logprobs[0].token == e.token  # greedy: the chosen token is the most likely
        assert [t.logprob for t in e.top_logprobs] == sorted([t.logprob for t in e.top_logprobs], reverse=True)
        assert bytes(e.bytes).decode("utf-8", "replace") == e.token or e.token.endswith("\ufffd")


def test_openai_client_raises_on_a_bad_request(client):
    with pytest.raises(openai.BadRequestError) as e:
        chat(client, "hi", temperature="hot")
    assert e.value.status_code == 400
    assert "temperature" in e.value.message
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=client.base_url, api_key="wrong", max_retries=0).models.list()


def error_of(status_body):
    status, body = status_body
    assert isinstance(body, dict) and set(body["error"]) >= {"message", "type", "param", "code"}, body
    return status, body["error"]


def test_error_statuses_and_shapes(server):
    msgs = [{"role": "user", "content": "hi"}]
    post = lambda body, key="default": server.request("POST", "/v1/chat/completions", body, key=key)
    status, e = error_of(post("{not json"))
    assert status == 400 and "not valid JSON" in e["message"]
    status, e = error_of(post("[1, 2]"))
    assert status == 400 and "object" in e["message"]
    status, e = error_of(post({"messages": "hello"}))
    assert status == 400 and e["param"] == "messages"
    status, e = error_of(post({"messages": msgs, "max_tokens": "5"}))
    assert status == 400 and e["param"] == "max_tokens"
    status, e = error_of(post({"messages": msgs, "stop": [1]}))
    assert status == 400 and e["param"] == "stop"
    status, e = error_of(post({"messages": msgs, "n": 17}))
    assert status == 400 and e["param"] == "n"
    status, e = error_of(post({"messages": [{"content": "no role"}]}))
    assert status == 400
    status, body = post({"messages": msgs, "max_tokens": 2, "temperature": 0, "frobnicate": {"x": 1}})
    assert status == 200 and body["choices"][0]["message"]["content"] is not None  # unknown fields ignored
    # A prompt over the context: refused with the numbers, never truncated.
    _, tk = server.request("POST", "/tokenize", {"content": "word " * 400})
    n = len(tk["tokens"])
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": "word " * 400, "max_tokens": 1}))
    assert status == 400 and e["code"] == "context_length_exceeded"
    assert str(n) in e["message"] and str(CTX) in e["message"]
    status, e = error_of(post({"messages": msgs, "max_tokens": 100000}))
    assert status == 400 and e["param"] == "max_tokens" and str(CTX) in e["message"]
    status, e = error_of(post({"messages": msgs}, key=None))
    assert status == 401 and e["type"] == "authentication_error"
    status, e = error_of(post({"messages": msgs}, key="sk-wrong"))
    assert status == 401
    status, e = error_of(server.request("GET", "/v1/nothing"))
    assert status == 404
    status, e = error_of(server.request("POST", "/detokenize", {"tokens": [-1]}))
    assert status == 400
    # A body over --max-body 65536.
    status, e = error_of(post(json.dumps({"messages": msgs, "pad": "x" * 70000})))
    assert status == 413
    assert server.alive()


def test_models_health_tokenize_metrics(server):
    status, m = server.request("GET", "/v1/models")
    assert status == 200 and m["object"] == "list"
    mem = m["data"][0]["meta"]["memory"]
    # KV per slot: 2 (K, V) x 30 layers x 192 (3 kv heads x 64) x 4 bytes x CTX positions.
    assert mem["kv_cache_per_slot_bytes"] == 2 * 30 * 192 * 4 * CTX
    assert mem["weights_bytes"] > 80e6 and mem["scratch_bytes"] > 0 and mem["slots"] == 4
    status, h = server.request("GET", "/health", key=None)
    assert status == 200 and h["status"] == "ok"
    _, tk = server.request("POST", "/tokenize", {"content": "Hello world, héllo!", "with_pieces": True})
    ids = [t["id"] for t in tk["tokens"]]
    assert "".join(t["piece"] for t in tk["tokens"]) == "Hello world, héllo!"
    ref = tock("tokenize", "-m", require_model(), "--ids", "Hello world, héllo!").stdout.split()
    assert ids == [int(x) for x in ref]
    _, dt = server.request("POST", "/detokenize", {"tokens": ids})
    assert dt["content"] == "Hello world, héllo!"
    _, text = server.request("GET", "/metrics")
    for name in ("tock_requests_total{status=\"200\"}", "tock_queue_length", "tock_active_sequences",
                 "tock_prompt_tokens_total", "tock_generated_tokens_total",
                 "tock_time_to_first_token_seconds_bucket", "tock_inter_token_latency_seconds_count",
                 "tock_request_duration_seconds_sum"):
        assert name in text, name


PROMPTS = ["Write a haiku about the sea.", "What is 2+2?", "List three fruits.", "Describe a cat in one sentence.",
           "Who wrote Hamlet?", "Translate 'good morning' to French."]


def test_batched_greedy_output_equals_each_request_alone(server, client):
    # Text AND every token's log-probability, exactly: a decode token riding in a prefill tick
    # goes through the GEMM instead of the small-T kernel, and a prompt's chunks vary with the
    # batch; the kernels give the same bits either way (test_matmul_small), so nothing may differ.
    def result(i, stream):
        kw = dict(max_tokens=10 + i, logprobs=True)
        if not stream:
            choice = chat(client, PROMPTS[i], **kw).choices[0]
            return choice.message.content, [(t.token, t.logprob) for t in choice.logprobs.content]
        text, lps = "", []
        for c in chat(client, PROMPTS[i], stream=True, **kw):
            if c.choices:
                text += c.choices[0].delta.content or ""
                lps += [(t.token, t.logprob) for t in (c.choices[0].logprobs.content or [])] if c.choices[0].logprobs else []
        return text, lps

    alone = [result(i, False) for i in range(len(PROMPTS))]
    assert all(len(lps) > 0 for _, lps in alone)
    together = [None] * len(PROMPTS)

    def run(i):
        together[i] = result(i, i % 2 == 1)  # mix streamed and plain requests

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone


def test_shared_system_prompt_reuses_cached_kv(server):
    body = lambda q: {"messages": [{"role": "system", "content": "You are a terse assistant. " * 8},
                                   {"role": "user", "content": q}], "max_tokens": 3, "temperature": 0}
    _, first = server.request("POST", "/v1/chat/completions", body("What is a dog?"))
    _, second = server.request("POST", "/v1/chat/completions", body("What is a cow?"))
    assert second["timings"]["cache_n"] >= 50, second["timings"]
    assert second["timings"]["cache_n"] < second["usage"]["prompt_tokens"]
    assert second["usage"]["prompt_tokens_details"]["cached_tokens"] == second["timings"]["cache_n"]


def test_client_disconnect_frees_the_slot(server):
    cancelled0 = server.metric("tock_cancelled_total")
    sock = socket.create_connection(("127.0.0.1", server.port))
    body = json.dumps({"messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 200,
                       "temperature": 0, "stream": True})
    sock.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode())
    got = b""
    while got.count(b"data: ") < 3:  # a few tokens in
        got += sock.recv(4096)
    assert server.metric("tock_active_sequences") == 1
    sock.close()
    deadline = time.time() + 10
    while server.metric("tock_active_sequences") != 0:
        assert time.time() < deadline, "the slot was not freed"
        time.sleep(0.05)
    assert server.metric("tock_cancelled_total") == cancelled0 + 1
    assert server.alive()


def test_non_streaming_client_disconnect_frees_the_slot(server):
    """Nothing is written to a non-streamed request until it ends: the server polls its socket."""
    cancelled0 = server.metric("tock_cancelled_total")
    generated0 = server.metric("tock_generated_tokens_total")
    sock = socket.create_connection(("127.0.0.1", server.port))
    body = json.dumps({"prompt": "Once upon a time", "max_tokens": 200, "ignore_eos": True, "temperature": 0})
    sock.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode())
    deadline = time.time() + 10
    while server.metric("tock_generated_tokens_total") < generated0 + 3:  # a few tokens in
        assert time.time() < deadline, "the request did not start"
        time.sleep(0.02)
    sock.close()
    while server.metric("tock_active_sequences") != 0:
        assert time.time() < deadline, "the slot was not freed"
        time.sleep(0.05)
    # Cancelled, not run to its end: 200 tokens were asked for.
    assert server.metric("tock_cancelled_total") == cancelled0 + 1
    assert server.metric("tock_generated_tokens_total") < generated0 + 200
    assert server.alive()
