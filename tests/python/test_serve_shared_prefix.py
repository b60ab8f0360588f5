"""tock serve: prompts in flight share their common prefix. A request's choices, or prompts that
arrive together and begin alike, compute the shared tokens once: the later ones wait for them and
copy the K/V (the scheduler's adopt_prefix), and get the same log-probabilities, bit for bit, as
when they compute everything themselves (attention and matmuls give a row the same bits in any
tile). The metric tock_prompt_tokens_cached_total counts the copied tokens. Real model
(SmolLM2-135M), raw HTTP."""
import concurrent.futures

import pytest

from serve_process import ServeProcess
from tock_paths import require_model

COMMON = ("The history of the printing press begins in the fifteenth century, when a goldsmith in "
          "Mainz combined movable metal type, oil-based ink and a screw press adapted from the "
          "presses used to make wine. Within fifty years, printing shops had opened in more than "
          "two hundred cities across Europe, and")
ENDINGS = [" the price of books fell", " scholars began to argue about"]


@pytest.fixture(scope="module")
def server():
    s = ServeProcess("--parallel", "4", "--ctx", "256", "-t", "2", model=require_model())
    yield s
    assert s.alive(), "the server died during the tests:\n" + "".join(s.log)
    assert s.stop() == 0, "".join(s.log)


def complete(server, prompt, **kw):
    body = {"prompt": prompt, "max_tokens": 6, "temperature": 0, "logprobs": 1, **kw}
    status, r = server.request("POST", "/v1/completions", body)
    assert status == 200, r
    return r


def token_logprobs(choice):
    return choice["logprobs"]["token_logprobs"]


def cached_total(server):
    return server.metric("tock_prompt_tokens_cached_total")


def test_choices_compute_their_prompt_once(server):
    before = cached_total(server)
    r = complete(server, COMMON + ENDINGS[0], n=3)
    n_prompt = r["usage"]["prompt_tokens"]
    assert n_prompt > 40
    # Choice 0 computes the prompt; 1 and 2 copy all of it but the last token (its logits give
    # their first token). Before sharing, all three computed it (0 cached tokens).
    assert cached_total(server) - before >= 2 * (n_prompt - 1)
    texts = [c["text"] for c in r["choices"]]
    lps = [token_logprobs(c) for c in r["choices"]]
    assert texts[1:] == texts[:1] * 2
    assert lps[1:] == lps[:1] * 2  # exact: same bits whether the prompt was computed or copied


def test_prompts_that_begin_alike_share_it_and_equal_each_alone(server):
    server.request("POST", "/v1/completions", {"prompt": "Unrelated filler to take a slot.", "max_tokens": 1})
    before = cached_total(server)
    prompts = ["Chapter two. " + COMMON + e for e in ENDINGS]  # a prefix no slot holds yet
    r = complete(server, prompts)
    copied = cached_total(server) - before
    n_common = complete(server, "Chapter two. " + COMMON, max_tokens=1)["usage"]["prompt_tokens"]
    # The second prompt waited for the first's shared tokens and copied them (the last token of
    # the common text may merge with the ending's first word).
    assert copied >= n_common - 2
    # Each equals that prompt sent alone: cold on a free slot, or from the cache (also exact).
    for i, p in enumerate(prompts):
        alone = complete(server, p)
        assert r["choices"][i]["text"] == alone["choices"][0]["text"]
        assert token_logprobs(r["choices"][i]) == token_logprobs(alone["choices"][0])


def test_concurrent_requests_with_a_shared_prefix_equal_each_alone(server):
    prompts = ["Part three. " + COMMON + " in %s" % city for city in ("Venice", "Paris", "Basel", "Lyon")]
    alone = [complete(server, p) for p in prompts]
    for p in ["Part four. " + COMMON + "!", "Part five. " + COMMON + "?"]:  # evict them from the slots
        complete(server, p, max_tokens=1)
    # Once more, arriving together: whichever of them computes the shared text and whichever
    # copy it, every reply is the same as alone.
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda p: complete(server, p, max_tokens=6), prompts))
    for a, t in zip(alone, together):
        assert t["choices"][0]["text"] == a["choices"][0]["text"]
        assert token_logprobs(t["choices"][0]) == token_logprobs(a["choices"][0])
