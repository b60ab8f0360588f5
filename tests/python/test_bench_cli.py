"""`tock bench` runs its measurements and prints one table row per series, or JSON (numbers are
not checked against thresholds: benchmarks never gate tests; this checks the command works,
its lists of sizes and depths, the bandwidth probe, memory figures and skipped tests)."""
import json
import re

from tock_paths import require_model, tock

# | model | size | params | backend | threads | test | clock | t/s | median | %BW |
ROW = re.compile(r"^\| [^|]+\| +[\d.]+ MiB \| +[\d.]+ M \| CPU \w+ +\| +(\d+) \| (pp|tg)(\d+)(?: @ d(\d+))? +\| "
                 r"(on|off) +\| +([\d.]+) ± ([\d.]+) \| +([\d.]+) \| +([\d.]+%)? *\|$", re.M)


def rows(stdout):
    return [(t, n, d or "0", c, float(mean), float(sd), share) for _, t, n, d, c, mean, sd, _, share in ROW.findall(stdout)]


def test_bench_prints_pp_and_tg_rows_with_clock_both():
    r = tock("bench", "-m", require_model(), "-p", "16", "-n", "4", "-r", "2", "--clock", "both", "-t", "2",
             "--bw-rounds", "2")
    got = rows(r.stdout)
    assert {(t, n, c) for t, n, _, c, *_ in got} == {("pp", "16", "off"), ("pp", "16", "on"),
                                                     ("tg", "4", "off"), ("tg", "4", "on")}, r.stdout
    assert all(mean > 0 and sd >= 0 for *_, mean, sd, _ in got)
    # %BW only on decode rows, where it is a share of the measured bandwidth.
    assert all((share != "") == (t == "tg") for t, *_, share in got), r.stdout
    assert r.stdout.count("clock overhead") == 2
    bw = re.search(r"memory bandwidth \(triad, 2 threads, [\d.]+ MiB working set, best of 2\): ([\d.]+) GB/s", r.stdout)
    assert bw and float(bw.group(1)) > 0, r.stdout
    assert re.search(r"resident memory: after load [\d.]+ MiB \(peak [\d.]+ MiB\), after run [\d.]+ MiB", r.stdout)


def test_bench_lists_of_sizes_and_depths():
    r = tock("bench", "-m", require_model(), "-p", "8,16", "-n", "2", "-d", "0,20", "-r", "1", "--bw-rounds", "0")
    got = [(t, n, d) for t, n, d, *_ in rows(r.stdout)]
    assert got == [("pp", "8", "0"), ("pp", "8", "20"), ("pp", "16", "0"), ("pp", "16", "20"),
                   ("tg", "2", "0"), ("tg", "2", "20")], r.stdout
    assert "memory bandwidth" not in r.stdout


def test_bench_tiny_generation_needs_only_its_own_context():
    r = tock("bench", "-m", require_model(), "-p", "0", "-n", "2", "-r", "1", "--bw-rounds", "0")
    assert [(t, n, d) for t, n, d, *_ in rows(r.stdout)] == [("tg", "2", "0")], r.stdout


def test_bench_generation_only_at_depth():
    r = tock("bench", "-m", require_model(), "-p", "0", "-n", "3", "-d", "20", "-r", "1", "--bw-rounds", "1")
    assert [(t, n, d) for t, n, d, *_ in rows(r.stdout)] == [("tg", "3", "20")], r.stdout


def test_bench_json_has_llama_bench_fields_bandwidth_and_memory():
    r = tock("bench", "-m", require_model(), "-p", "8", "-n", "3", "-r", "2", "-t", "2", "--json", "--bw-rounds", "2")
    doc = json.loads(r.stdout)
    assert doc["threads"] == 2 and doc["repetitions"] == 2 and doc["backend"] == "CPU" and doc["isa"]
    assert doc["model_size_bytes"] > 50e6 and 100e6 < doc["model_params"] < 200e6  # SmolLM2-135M
    assert doc["memory_bandwidth_bytes_per_s"] > 0
    assert 0 < doc["decode_weight_bytes_per_token"] <= doc["model_size_bytes"]
    mem = doc["memory"]
    assert 0 < mem["after_load_rss_kib"] <= mem["after_load_hwm_kib"] <= mem["after_run_hwm_kib"]
    tests = {row["test"]: row for row in doc["results"]}
    assert set(tests) == {"pp8", "tg3"}
    pp, tg = tests["pp8"], tests["tg3"]
    assert (pp["n_prompt"], pp["n_gen"], pp["n_depth"]) == (8, 0, 0) and (tg["n_prompt"], tg["n_gen"]) == (0, 3)
    for row in (pp, tg):
        assert len(row["samples_ts"]) == 2 and all(v > 0 for v in row["samples_ts"])
        assert abs(row["avg_ts"] - sum(row["samples_ts"]) / 2) < 1e-3 * row["avg_ts"]
        assert row["stddev_ts"] >= 0
    assert pp["bandwidth_share"] == 0 and tg["bandwidth_share"] > 0
    # The share is bytes per token x tok/s over the bandwidth, as the fields say.
    expected = doc["decode_weight_bytes_per_token"] * tg["avg_ts"] / doc["memory_bandwidth_bytes_per_s"]
    assert abs(tg["bandwidth_share"] - expected) < 1e-3 + 1e-3 * expected


def test_bench_rejects_more_context_than_the_model_has():
    r = tock("bench", "-m", require_model(), "-p", "0", "-n", "10", "-d", "9000", check=False)
    assert r.returncode != 0 and "context" in r.stderr
