"""The benchmark script runs end to end on a tiny pair (the full-size runs live in benchmarks/)."""

import re
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
    # the run checks its interferogram against the truth: noise-level residual (coherence 0.9)
    residual, noise = (float(v) for v in re.search(r"residual ([0-9.]+) rad rms \(the 3×3-look noise at "
                                                   r"their coherence ([0-9.]+) rad\)", text).groups())
    assert residual < 1.5 * noise + 0.02
