"""tock serve's prefix cache does not change results: a request repeated, so that all but its
last prompt token come from the slot's cached KV (that token then computed alone, decode-like,
instead of inside the prompt's prefill tiles), returns exactly the same tokens and logprobs as
the first time, computed cold. Greedy and seed-fixed sampling (temperature 0.8, seed 7); prompts
of 24 tokens (one attention pass) and 300 (the lone token's positions split over the 2 threads).
One slot, so each prompt is cold after a prompt with another first token.
Bit-equality rests on attention rounding a query row the same in every call (attention_kernels.hpp)
and the matmuls giving a row the same bits in any batch."""
import os

import pytest

from serve_process import ServeProcess
from tock_paths import SOURCE_DIR, require_model

TEXT = os.path.join(SOURCE_DIR, "tests", "data", "text", "english_prose.txt")


@pytest.fixture(scope="module")
def server():
    s = ServeProcess("--parallel", "1", "--ctx", "512", "-t", "2", model=require_model())
    yield s
    assert s.alive(), "the server died during the tests:\n" + "".join(s.log)
    s.stop()


@pytest.fixture(scope="module")
def text_ids(server):
    with open(TEXT, encoding="utf-8") as f:
        status, tk = server.request("POST", "/tokenize", {"content": f.read()})
    assert status == 200, tk
    assert len(tk["tokens"]) >= 660
    return tk["tokens"]


def complete(server, ids, **kw):
    body = {"prompt": ids, "max_tokens": 8, "logprobs": 5, **kw}
    status, r = server.request("POST", "/v1/completions", body)
    assert status == 200, r
    c = r["choices"][0]
    return r["timings"]["cache_n"], (c["text"], c["logprobs"]["token_logprobs"], c["logprobs"]["top_logprobs"])


@pytest.mark.parametrize("sampling", [{"temperature": 0}, {"temperature": 0.8, "seed": 7}],
                         ids=["greedy", "seed7"])
def test_repeated_request_with_cached_prefix_returns_the_same_logprobs(server, text_ids, sampling):
    shift = 0 if sampling["temperature"] == 0 else 330  # other prompts: each run starts cold
    prompts = [text_ids[shift:shift + 24], text_ids[shift + 30:shift + 330]]
    assert prompts[0][0] != prompts[1][0]
    for ids in prompts:
        cache_cold, cold = complete(server, ids, **sampling)
        cache_warm, warm = complete(server, ids, **sampling)
        assert cache_cold == 0, "the first request was not cold"
        assert cache_warm == len(ids) - 1, "the repeat did not reuse the prefix"
        assert warm == cold, f"{len(ids)}-token prompt, {sampling}"
