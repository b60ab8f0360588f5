"""`tock bench` runs its measurements and prints one row per series (numbers are not checked:
benchmarks never gate tests; this checks the command works, including skipped tests)."""
import re

from tock_paths import require_model, tock

ROW = re.compile(r"^(pp|tg)(\d+)\s+(\d+)\s+(on|off)\s+([\d.]+)\s+[\d.]+%$", re.M)


def test_bench_prints_pp_and_tg_rows_with_clock_both():
    r = tock("bench", "-m", require_model(), "-p", "16", "-n", "4", "-r", "1", "--clock", "both")
    rows = ROW.findall(r.stdout)
    assert {(t, n, c) for t, n, _, c, _ in rows} == {("pp", "16", "off"), ("pp", "16", "on"),
                                                    ("tg", "4", "off"), ("tg", "4", "on")}, r.stdout
    assert all(float(v) > 0 for *_, v in rows)
    assert r.stdout.count("clock overhead") == 2


def test_bench_generation_only_at_depth():
    r = tock("bench", "-m", require_model(), "-p", "0", "-n", "3", "-d", "20", "-r", "1")
    rows = ROW.findall(r.stdout)
    assert [(t, n, d) for t, n, d, _, _ in rows] == [("tg", "3", "20")], r.stdout


def test_bench_rejects_more_context_than_the_model_has():
    r = tock("bench", "-m", require_model(), "-p", "0", "-n", "10", "-d", "9000", check=False)
    assert r.returncode != 0 and "context" in r.stderr
