"""The benchmark commands still run and count what they claim (small sizes, no timing).

The figures themselves are reported by `make bench` and `make bench-load`, never
asserted: these tests only keep the commands from rotting unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.tools.benchmark import memory_mb

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a child process loading the model
def test_one_knowledge_base_is_measured_in_a_child_process_as_one_json_line():
    done = subprocess.run(
        [sys.executable, "-m", "bot.tools.benchmark", "--scale", "2", "--rounds", "1"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["scale"] == 2
    assert result["entries"] == 2 * 229 and result["passages"] == 2 * 272
    assert result["questions"] == 350  # the labeled set, once
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert 0 < result["rss_mb"] <= result["peak_mb"]


def test_memory_is_read_for_this_process():
    rss, peak = memory_mb()
    assert 10 < rss <= peak  # a Python process with the bot imported is tens of MB


@pytest.mark.slow  # the load benchmark
def test_the_load_benchmark_runs_end_to_end_on_a_small_load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = bench  # dataclasses look their module up there
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["bench_load"]
    result = bench.run_scenario("unthrottled", 4, 2, rate_limited=False)
    assert (result.messages, result.replies, result.logged) == (8, 8, 8)
    assert 0 < result.p50 <= result.p95 <= result.worst
    assert result.per_second > 0 and result.startup > 0
    assert result.rss_mb > 0
