"""tock serve: several choices per request (`n`) and a list of prompts in /v1/completions, through
the official `openai` client and raw HTTP. Choice i·n + j is prompt i's j-th choice (OpenAI's legacy
completions and vLLM); each is its own scheduler job, so under greedy decoding every choice equals
the same prompt sent alone, text and log-probabilities; with a seed s, choice j samples as a
request with seed s + j does. Real model (SmolLM2-135M), small max_tokens."""
import http.client
import json
import time

import pytest

from serve_process import ServeProcess
from test_serve_api import KEY, chat, client, error_of  # noqa: F401 (client: the fixture, on this module's server)
from tock_paths import require_model

PARALLEL, QUEUE = 4, 4  # at most 8 choices per request fit


@pytest.fixture(scope="module")
def server():
    s = ServeProcess("--parallel", str(PARALLEL), "--queue", str(QUEUE), "--ctx", "256", "-t", "2",
                     model=require_model(), api_key=KEY)
    yield s
    assert s.alive(), "the server died during the tests:\n" + "".join(s.log)
    assert s.stop() == 0, "".join(s.log)


def sse_events(server, path, body):
    """The parsed `data:` events of a streamed reply; checks it ends with exactly one [DONE]."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", path, body=json.dumps({**body, "stream": True}), headers=server.headers())
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    data = resp.read().decode()
    conn.close()
    events = [line[len("data: "):] for line in data.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and events.count("[DONE]") == 1, events[-3:]
    return [json.loads(e) for e in events[:-1]]


def by_choice(events, field):
    """Per choice index: its chunks' text (field "content" of delta, or "text") and its chunks."""
    texts, chunks = {}, {}
    for e in events:
        for c in e["choices"]:
            part = c["delta"].get("content") if field == "content" else c["text"]
            texts[c["index"]] = texts.get(c["index"], "") + (part or "")
            chunks.setdefault(c["index"], []).append(c)
    return texts, chunks


def test_chat_n3_non_streamed_and_streamed(server, client):
    kw = dict(n=3, max_tokens=8, temperature=1, seed=5)
    r = chat(client, "Name a fruit.", **kw)
    assert [c.index for c in r.choices] == [0, 1, 2]
    for c in r.choices:
        assert c.message.role == "assistant" and c.finish_reason in ("stop", "length")
    events = sse_events(server, "/v1/chat/completions",
                        {"messages": [{"role": "user", "content": "Name a fruit."}], **kw,
                         "stream_options": {"include_usage": True}})
    texts, chunks = by_choice(events[:-1], "content")
    assert sorted(chunks) == [0, 1, 2]
    # Each choice's first chunk gives the role; only its last chunk has a finish_reason (with timings).
    assert [e["choices"][0]["index"] for e in events[:3]] == [0, 1, 2]
    for i, cs in chunks.items():
        assert cs[0]["delta"] == {"role": "assistant", "content": ""}
        assert [c["finish_reason"] for c in cs[:-1]] == [None] * (len(cs) - 1)
        assert cs[-1]["finish_reason"] == r.choices[i].finish_reason
        # Seeded: the streamed choices are the non-streamed ones.
        assert texts[i] == r.choices[i].message.content
    usage = events[-1]["usage"]
    assert events[-1]["choices"] == [] and usage == r.usage.model_dump(exclude_none=True) | {
        "prompt_tokens_details": {"cached_tokens": usage["prompt_tokens_details"]["cached_tokens"]}}
    # The openai client reads the same stream.
    seen = {}
    for chunk in chat(client, "Name a fruit.", stream=True, **kw):
        for c in chunk.choices:
            seen[c.index] = seen.get(c.index, "") + (c.delta.content or "")
    assert seen == {i: c.message.content for i, c in enumerate(r.choices)}


def test_greedy_choices_equal_the_single_reply(client):
    def lps(c):
        return [(t.token, t.logprob) for t in c.logprobs.content]

    # Cold (the first time this prompt is seen): the choices copy its prompt from cached KV or from
    # each other, and a row's bits do not depend on that.
    one = chat(client, "What is the capital of Italy?", max_tokens=10, logprobs=True).choices[0]
    two = chat(client, "What is the capital of Italy?", max_tokens=10, logprobs=True, n=2).choices
    assert len(lps(one)) > 0
    for c in two:
        assert c.message.content == one.message.content and lps(c) == lps(one)
        assert c.finish_reason == one.finish_reason


def test_seeded_choices_are_reproducible_and_seed_plus_index(client):
    kw = dict(max_tokens=10, temperature=1, seed=11)
    first = [c.message.content for c in chat(client, "Tell me a story.", n=3, **kw).choices]
    again = [c.message.content for c in chat(client, "Tell me a story.", n=3, **kw).choices]
    assert first == again
    assert len(set(first)) > 1, first
    # Choice j samples as a request with seed 11 + j does (the documented scheme).
    alone = [chat(client, "Tell me a story.", **{**kw, "seed": 11 + j}).choices[0].message.content for j in range(3)]
    assert first == alone
    # Seed -2 is 2^64 - 2: choice 1's seed would be 2^64 - 1, which asks for a random seed, so it skips to 0.
    wrapped = chat(client, "Tell me a story.", n=2, **{**kw, "seed": -2}).choices
    assert wrapped[1].message.content == chat(client, "Tell me a story.", **{**kw, "seed": 0}).choices[0].message.content


def test_prompt_list_times_n_in_index_order_with_usage_sums(server, client):
    prompts = ["Once upon a time", "The best way to cook rice is"]
    kw = dict(max_tokens=6, temperature=0, logprobs=0, ignore_eos=True)
    alone = [client.completions.create(model="m", prompt=p, extra_body={"ignore_eos": True},
                                       **{k: v for k, v in kw.items() if k != "ignore_eos"}) for p in prompts]
    body = {"prompt": prompts, "n": 2, **kw}
    status, r = server.request("POST", "/v1/completions", body)
    assert status == 200, r
    assert [c["index"] for c in r["choices"]] == [0, 1, 2, 3]
    for i in range(2):
        for j in range(2):
            c = r["choices"][i * 2 + j]
            assert c["text"] == alone[i].choices[0].text
            # Exactly, though one of them computed its prompt and the others copied it.
            assert c["logprobs"]["token_logprobs"] == alone[i].choices[0].logprobs.token_logprobs
    n_tokens = sum(len(c["logprobs"]["tokens"]) for c in r["choices"])
    assert r["usage"]["completion_tokens"] == n_tokens == 4 * 6
    assert r["usage"]["prompt_tokens"] == sum(a.usage.prompt_tokens for a in alone)  # once per prompt
    assert r["usage"]["total_tokens"] == r["usage"]["prompt_tokens"] + n_tokens
    # Token-id arrays and the openai client give the same, and so does the stream (with echo).
    ids = [server.request("POST", "/tokenize", {"content": p})[1]["tokens"] for p in prompts]
    by_ids = client.completions.create(model="m", prompt=ids, n=2, max_tokens=6, temperature=0,
                                       extra_body={"ignore_eos": True})
    assert [c.text for c in by_ids.choices] == [c["text"] for c in r["choices"]]
    events = sse_events(server, "/v1/completions", {**body, "logprobs": None, "echo": True,
                                                    "stream_options": {"include_usage": True}})
    texts, _ = by_choice(events[:-1], "text")
    assert texts == {k: prompts[k // 2] + c["text"] for k, c in enumerate(r["choices"])}
    assert events[-1]["usage"]["completion_tokens"] == n_tokens
    assert events[-1]["usage"]["prompt_tokens"] == r["usage"]["prompt_tokens"]


def test_n_out_of_range_is_refused_naming_n(server):
    msgs = [{"role": "user", "content": "hi"}]
    for n in (0, 17, "2"):
        status, e = error_of(server.request("POST", "/v1/chat/completions", {"messages": msgs, "n": n}))
        assert status == 400 and e["param"] == "n" and "'n'" in e["message"] and "[1, 16]" in e["message"], e
    # More choices than slots + queue could ever hold: 400 (not a 503 to retry).
    status, e = error_of(server.request("POST", "/v1/chat/completions", {"messages": msgs, "n": 9}))
    assert status == 400 and e["param"] == "n" and "8" in e["message"], e
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": ["a", "b", "c"], "n": 3}))
    assert status == 400 and e["param"] == "n" and "9 choices" in e["message"], e
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": ["a", 5]}))
    assert status == 400 and e["param"] == "prompt"
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": [[1, 2], [3, "x"]]}))
    assert status == 400 and e["param"] == "prompt[1]"
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": ["a", ""]}))
    assert status == 400 and e["param"] == "prompt[1]" and "empty" in e["message"]


def wait_idle(server):
    deadline = time.time() + 10
    while server.metric("tock_active_sequences") != 0 or server.metric("tock_queue_length") != 0:
        assert time.time() < deadline, "the choices were not cancelled"
        time.sleep(0.05)


def test_streamed_choices_client_disconnect_frees_every_slot(server):
    cancelled0 = server.metric("tock_cancelled_total")
    sock = server.open_stream("/v1/chat/completions", {
        "messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 200, "temperature": 1,
        "ignore_eos": True, "n": 2}, until=6)  # both roles and a few tokens in
    assert server.metric("tock_active_sequences") == 2
    sock.close()
    wait_idle(server)
    assert server.metric("tock_cancelled_total") == cancelled0 + 2
    assert server.alive()


def test_a_request_is_admitted_whole_or_refused_whole(server):
    # 7 choices hold the 4 slots and 3 of the 4 queue places; 2 more do not fit: 503, and neither
    # of them is queued.
    sock = server.open_stream("/v1/completions", {"prompt": "Once upon a time", "max_tokens": 200, "temperature": 1,
                                                  "ignore_eos": True, "n": PARALLEL + QUEUE - 1}, until=2)
    assert server.metric("tock_active_sequences") == PARALLEL and server.metric("tock_queue_length") == QUEUE - 1
    status, e = error_of(server.request("POST", "/v1/completions", {"prompt": "Hi", "n": 2, "max_tokens": 2}))
    assert status == 503 and e["code"] == "overloaded" and "needs 2" in e["message"], e
    assert server.metric("tock_queue_length") == QUEUE - 1
    sock.close()
    wait_idle(server)
