"""`scripts/bench` prints its figures and, last, one JSON line with every contract key as a finite number."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("pipeline_ratio", "rss_delta_mb", "rss_wide_rows_mb", "span_ratio", "hits_p95_ratio",
        "standin_seed_aql_1m_s")


def test_bench_tiny_last_line_has_every_figure_as_a_finite_number():
    # --tiny is --quick's code path on smaller sizes, so that the suite stays short.
    done = subprocess.run([str(ROOT / "scripts" / "bench"), "--tiny"], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["sizes"] == "tiny"
    for key in KEYS:
        assert isinstance(figures[key], (int, float)) and math.isfinite(figures[key]), (key, figures.get(key))
    assert figures["pipeline_rows"] == figures["baseline_rows"] > 0
    assert figures["rss_large_rows"] > figures["rss_small_rows"] > 0


@pytest.mark.parametrize("staged", [False, True])
def test_writer_overlap_measures_both_ways_and_prints_its_figures(staged):
    """devtools.writer_overlap backs two claims in docs/benchmarks.md (a thread inserting row by row does not
    overlap with Python work; one INSERT ... SELECT from a staged table does): it runs, times the serial and the
    threaded run, and prints them."""
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'scripts'}")
    done = subprocess.run([sys.executable, "-m", "devtools.writer_overlap", "300", *(["--staged"] if staged else [])],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == 300 and figures["staged"] is staged and (figures["stage_s"] > 0) is staged
    assert abs(figures["serial_s"] - (figures["insert_s"] + figures["python_s"])) <= 0.002
    assert figures["together_s"] > 0 and math.isfinite(figures["overlap_gain"])
