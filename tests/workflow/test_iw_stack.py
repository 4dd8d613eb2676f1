"""`dinsar run` on an IW stack (SAR_MultiSlc with TOPS products): every slave coregistered on the master's
merged grid with its own ESD, the master-slave and the small-baseline slave-slave pairs."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import yaml

from dinsar.simulate.tops import IwPairConfig, write_iw_pair

pytestmark = pytest.mark.workflow


def test_iw_stack(tmp_path):
    # two simulated pairs of one master (the same scene and seed: the master products are identical)
    sims = {days: tmp_path / f"sim{days}" for days in (12, 24)}
    for days, out in sims.items():
        write_iw_pair(out, IwPairConfig(samples=256, days=days))
    master = next((sims[12] / "master").glob("*.SAFE"))
    assert master.name == next((sims[24] / "master").glob("*.SAFE")).name
    orbits = tmp_path / "orbits"
    orbits.mkdir()
    for out in sims.values():
        for eof in (out / "orbits").glob("*.EOF"):
            shutil.copy(eof, orbits / eof.name)
    slaves = [str(next((out / "slave").glob("*.SAFE"))) for out in sims.values()]
    cfg = {"site": "iwstack", "products": {"master": str(master), "slaves": slaves}, "dem": str(sims[12] / "dem.tif"),
           "orbits": str(orbits), "stack": {"small_baseline": {"max_days": 20, "max_perp_m": 500}}}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", "stack.yaml", "--cores", "2"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    pairs = tmp_path / "results" / "iwstack" / "pairs"
    assert sorted(p.name for p in pairs.iterdir()) == ["20160818_20160830", "20160818_20160911", "20160830_20160911"]
    for name in ("20160818_20160830", "20160818_20160911"):  # each slave: its own ESD finds its timing error
        esd = json.loads((pairs / name / "esd.json").read_text())
        assert abs(esd["shift_lines"] - 0.025) < 1e-3, name
    # the slave-slave pair: both slaves on the master grid, their interferogram coherent where both have data
    with rasterio.open(pairs / "20160830_20160911" / "interferogram_ml.tif") as src:
        _, _, coh, ok = src.read()
    assert np.median(coh[ok > 0]) > 0.6
    assert (pairs / "20160830_20160911" / "los_displacement.tif").is_file()
