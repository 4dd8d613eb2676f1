"""The benchmark script runs end to end on a tiny pair (the full-size runs live in benchmarks/)."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.workflow


def test_benchmark_script_on_a_tiny_pair(tmp_path):
    results = tmp_path / "RESULTS.md"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "320x320", "--steps", "ifg",
                          "--cache", str(tmp_path / "cache"), "--results", str(results)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    text = results.read_text()
    for step in ("simulate", "dem_projection", "deformation_grid", "coregister", "interferogram"):
        assert f"| {step} |" in text
    assert "vs map_coordinates" in text and "vs sarsen" in text and "thread scaling" in text
