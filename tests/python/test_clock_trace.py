"""The clock's acceptance checks on the default model (issue 5):
- `tock run --trace` writes a valid Chrome trace-event JSON (required fields, monotonic
  timestamps, "X" events nested, per-op spans inside their tick and summing to at most it);
- a 64-token greedy run gives the same tokens with and without tracing, and every tick's recorded
  probabilities equal the softmax of the logits the choice was made from (recomputed by an
  independent plain greedy loop, tests/tools/clock_logits.cpp, and numpy);
- `--metrics` prints the summary, and its numbers agree with the trace.
"""
import json
import os
import tempfile

import numpy as np
import pytest

from tock_paths import require_model, tock, tool

PROMPT = "The history of the clock begins"
N = 64


@pytest.fixture(scope="module")
def run():
    model = require_model()
    d = tempfile.mkdtemp(prefix="tock_clock_")
    trace_path = os.path.join(d, "run.json")
    traced = tock("run", "-m", model, "-p", PROMPT, "-n", str(N), "--temp", "0", "--ignore-eos",
                  "--trace", trace_path, "--metrics")
    plain = tock("run", "-m", model, "-p", PROMPT, "-n", str(N), "--temp", "0", "--ignore-eos")
    with open(trace_path) as f:
        trace = json.load(f)
    return {"dir": d, "model": model, "trace": trace, "traced": traced, "plain": plain}


def ticks(trace):
    return sorted((e for e in trace["traceEvents"] if e.get("cat") == "tick"), key=lambda e: e["args"]["index"])


def test_trace_follows_the_chrome_trace_event_format(run):
    trace = run["trace"]
    assert isinstance(trace["traceEvents"], list) and trace["traceEvents"]
    last = {}
    stacks = {}
    eps = 1e-6
    for e in trace["traceEvents"]:
        for key in ("name", "ph", "pid", "tid"):
            assert key in e, e
        assert e["ph"] in ("M", "X", "B", "E", "i", "C"), e
        if e["ph"] == "M":
            continue
        assert isinstance(e["ts"], (int, float))
        key = (e["pid"], e["tid"])
        assert e["ts"] >= last.get(key, -1.0), f"timestamps go back at {e}"
        last[key] = e["ts"]
        if e["ph"] == "C":
            assert isinstance(e["args"], dict) and all(isinstance(v, (int, float)) for v in e["args"].values())
        if e["ph"] == "X":
            assert e["dur"] >= 0
            end = e["ts"] + e["dur"]
            st = stacks.setdefault(key, [])
            while st and e["ts"] >= st[-1] - eps:
                st.pop()
            if st:
                assert end <= st[-1] + eps, f"{e} crosses its parent's end"
            st.append(end)


def test_op_spans_nest_inside_their_tick_and_sum_to_at_most_it(run):
    trace = run["trace"]
    ts = ticks(trace)
    assert len(ts) == N  # the prefill tick and 63 decode ticks, each sampled (no forward after the last token)
    assert ts[0]["args"]["phase"] == "prefill" and all(t["args"]["phase"] == "decode" for t in ts[1:])
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X" and e.get("cat") == "op"]
    per_tick = [0.0] * len(ts)
    k = 0
    for o in ops:
        while k + 1 < len(ts) and o["ts"] >= ts[k + 1]["ts"]:
            k += 1
        t = ts[k]
        assert t["ts"] - 1e-6 <= o["ts"] and o["ts"] + o["dur"] <= t["ts"] + t["dur"] + 1e-6, o
        per_tick[k] += o["dur"]
    for t, s in zip(ts, per_tick):
        assert 0 < s <= t["dur"] + 1e-3
    names = {o["name"] for o in ops}
    for n in ("attn_norm", "attn_qkv", "attention", "attn_output", "ffn_norm", "ffn_up_gate", "ffn_down",
              "output_norm", "output", "sample"):
        assert n in names
    layers = {o["args"]["layer"] for o in ops if "args" in o}
    assert len(layers) == 30  # SmolLM2-135M has 30 layers
    kv = [t["args"]["kv_len"] for t in ts]
    assert kv == sorted(kv) and ts[-1]["args"]["kv_bytes"] > 0


def test_same_tokens_with_and_without_tracing(run):
    assert run["traced"].stdout == run["plain"].stdout
    assert len(run["plain"].stdout) > 0


def test_tick_probabilities_are_the_softmax_of_the_logits_used(run):
    prefix = os.path.join(run["dir"], "greedy")
    import subprocess
    subprocess.run([tool("clock_logits"), run["model"], PROMPT, str(N), prefix], check=True, timeout=600)
    ids = [int(x) for x in open(prefix + ".ids").read().split()]
    logits = np.fromfile(prefix + ".f32", dtype=np.float32).reshape(N, -1).astype(np.float64)
    moments = [t["args"]["moment"] for t in ticks(run["trace"]) if "moment" in t["args"]]
    assert [m["token"] for m in moments] == ids  # same tokens as a plain untraced greedy loop
    for i, m in enumerate(moments):
        z = logits[i] - logits[i].max()
        p = np.exp(z) / np.exp(z).sum()
        ent = -(p[p > 0] * np.log(p[p > 0])).sum()
        assert m["p"] == pytest.approx(p[m["token"]], rel=1e-5, abs=1e-7), i
        assert m["entropy"] == pytest.approx(ent, rel=1e-4, abs=1e-5), i
        assert m["logit"] == pytest.approx(logits[i][m["token"]], abs=1e-5)
        top = np.argsort(-p, kind="stable")[: len(m["top"])]
        assert [a["id"] for a in m["top"]] == list(top), i
        for a in m["top"]:
            assert a["p"] == pytest.approx(p[a["id"]], rel=1e-5, abs=1e-7)
        assert m["top"][0]["id"] == m["token"]  # greedy picks the most likely token
        assert "final" not in m  # greedy: the sampler's distribution is the argmax alone


def test_metrics_summary_agrees_with_the_trace(run):
    err = run["traced"].stderr
    for line in ("time to first token", "inter-token latency: p50", "prefill:", "decode:", "time per op"):
        assert line in err
    ts = ticks(run["trace"])
    ttft = (ts[0]["ts"] + ts[0]["dur"] - ts[0]["ts"]) / 1e3
    reported = float(err.split("time to first token:")[1].split("ms")[0])
    assert reported == pytest.approx(ttft, abs=0.01)
    assert f"decode: {N - 1} tokens" in err


def test_report_from_the_trace_is_self_contained(run):
    out = os.path.join(run["dir"], "report.html")
    tock("report", os.path.join(run["dir"], "run.json"), "-o", out)
    html = open(out, encoding="utf-8").read()
    assert "<script" in html and "tock-data" in html
    for bad in ("https://", "<link", "src=\"http"):
        assert bad not in html
