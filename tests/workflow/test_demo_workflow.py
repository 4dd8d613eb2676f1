"""`dinsar run` on the embedded demo config (small size): simulate -> unpack/prune -> quicklook."""

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
    cfg["simulate"]["size"] = [512, 384]
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "dinsar.cli", "run", "demo.yaml", "--cores", "2"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    site = tmp_path / "results" / "demo"
    (safe,) = (site / "products").glob("*.SAFE")
    assert not list(safe.rglob("*-vh-*")), "VH must be pruned"
    assert open_product(safe, "VV").polarisations == ["VV"]
    (png,) = (site / "quicklook").glob("*_vv_ml.png")
    (tif,) = (site / "quicklook").glob("*_vv_ml.tif")
    assert str(png.relative_to(tmp_path)) in run.stdout  # the run says where its outputs are
    with rasterio.open(tif) as ql:
        assert (ql.height, ql.width) == (512 // 3, 384 // 3)
        amp = ql.read(1)
    # the demo's VV speckle has an amplitude scale of 60 DN over a log-normal pattern
    assert np.all(amp > 0) and 20 < np.median(amp) < 200
    geometry = site / "geometry" / safe.stem
    for name in ("dem_projection.tif", "height.tif", "xyz.tif", "simulated_amplitude.tif", "shadow.tif",
                 "layover.tif", "simulated_amplitude.png", "doppler0.json", "radar_grid.json"):
        assert (geometry / name).is_file(), name
    with rasterio.open(geometry / "height.tif") as src:
        height, flag = src.read()
    assert np.all(flag == 0) and 1000 < np.nanmin(height) < np.nanmax(height) < 2700  # on the volcano
    for rule in ("simulate_product", "simulate_dem", "unpack", "quicklook", "dem_projection",
                 "simulate_amplitude", "doppler0"):
        assert list((tmp_path / "logs" / "demo" / rule).glob("*.log"))
        assert list((tmp_path / "benchmarks" / "demo" / rule).glob("*.tsv"))
    # a second run has nothing to do
    again = subprocess.run(cmd + ["--dry-run"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
