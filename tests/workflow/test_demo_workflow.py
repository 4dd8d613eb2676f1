"""`dinsar run` on the embedded demo config (small size): simulated pair -> unpack/prune ->
quicklooks -> master geometry, checked against the simulator's truth."""

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import yaml

from dinsar.sensors.sentinel1 import open_product
from tests.conftest import ROOT

pytestmark = pytest.mark.workflow


def test_demo_workflow_and_rerun(tmp_path):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = [384, 320]
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "dinsar.cli", "run", "demo.yaml", "--cores", "2"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    site = tmp_path / "results" / "demo"
    pair = site / "input" / "pair"
    truth = json.loads((pair / "truth" / "truth.json").read_text())
    products = sorted((site / "products").glob("*.SAFE"))
    assert [p.name for p in products] == sorted([truth["master"], truth["slave"]])
    for safe in products:
        assert not list(safe.rglob("*-vh-*")), "VH must be pruned"
        assert open_product(safe, "VV").polarisations == ["VV"]
        (png,) = (site / "quicklook").glob(f"{safe.stem}_vv_ml.png")
        assert str(png.relative_to(tmp_path)) in run.stdout  # the run says where its outputs are
        with rasterio.open(png.with_suffix(".tif")) as ql:
            assert (ql.height, ql.width) == (384 // 3, 320 // 3)
    master = truth["master"].removesuffix(".SAFE")
    geometry = site / "geometry" / master
    for name in ("dem_projection.tif", "height.tif", "xyz.tif", "simulated_amplitude.tif", "shadow.tif",
                 "layover.tif", "simulated_amplitude.png", "doppler0.json", "radar_grid.json"):
        assert (geometry / name).is_file(), name
    # the chain's ground heights (numba solver) against the simulator's (numpy, PROJ): < 10 cm
    with rasterio.open(geometry / "height.tif") as src:
        height, flag = src.read()
    with rasterio.open(pair / "truth" / "height.tif") as src:
        truth_height = src.read(1)
    ok = np.isfinite(truth_height) & (flag == 0)
    assert ok.mean() > 0.95
    assert np.abs(height - truth_height)[ok].max() < 0.1
    doppler = json.loads((geometry / "doppler0.json").read_text())
    assert abs(doppler["doppler_hz"]) < doppler["spread_hz"]  # the simulated pair is zero-Doppler
    for rule in ("simulate_pair", "unpack", "quicklook", "dem_projection", "simulate_amplitude", "doppler0"):
        assert list((tmp_path / "logs" / "demo" / rule).glob("*.log")), rule
        assert list((tmp_path / "benchmarks" / "demo" / rule).glob("*.tsv")), rule
    # long steps say how far they are (dinsar.logs.progress): `tail -f` on their log shows them moving
    for rule, what in (("simulate_pair", "simulated images"), ("dem_projection", "DEM projection, radar"),
                       ("simulate_amplitude", "simulated amplitude"), ("coregister", "coregistration"),
                       ("interferogram", "interferogram"), ("unwrap", "fine cycles"), ("geocode", "geocoding")):
        (log,) = (tmp_path / "logs" / "demo" / rule).glob("*.log")
        assert f"{what}: 100% (" in log.read_text(), (rule, what)
    # the report: quicklooks of each step with their captions, the config and run times
    report = subprocess.run(cmd + ["--report", "report.html"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    html = (tmp_path / "report.html").read_text(errors="replace")
    for name in ("interferogram_phase.png", "coherence.png", "filtered_phase.png", "simulated_amplitude.png",
                 "_vv_ml.png", "Goldstein", "offsets.png", "unwrapped.png", "los_displacement.png",
                 "correlation offset minus the"):
        assert name in html, name
    assert "Undefined substitution" not in report.stderr  # captions are valid reStructuredText
    # a second run has nothing to do
    again = subprocess.run(cmd + ["--dry-run"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
