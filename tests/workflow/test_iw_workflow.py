"""`dinsar run` on the simulated IW TOPS demo (config/sites/demo_iw.yaml, smaller sub-swaths): two
sub-swaths of three bursts merged, coregistered with ESD, unwrapped after the merge, geocoded, and
compared with the simulator's truth (its own zero-Doppler grid, no code shared with the chain)."""

import json
import subprocess
import sys

import pytest
import rasterio
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.workflow


def test_iw_demo_to_geocoded_los(tmp_path):
    cfg = yaml.safe_load((ROOT / "config" / "sites" / "demo_iw.yaml").read_text())
    cfg["simulate"]["size"] = [512, 512]  # IW: samples per sub-swath from size[1]
    (tmp_path / "demo_iw.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", "demo_iw.yaml", "--cores", "2"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    site = tmp_path / "results" / "demo_iw"
    (pair,) = (site / "pairs").iterdir()
    truth = json.loads((site / "input" / "pair" / "truth" / "truth.json").read_text())
    esd = json.loads((pair / "esd.json").read_text())
    # ESD finds the slave's along-track timing error that geometry cannot see
    assert abs(esd["shift_lines"] - truth["injected_azimuth_error"]["lines"]) < 5e-4
    cmp = json.loads((pair / "truth_comparison.json").read_text())
    # the figures: LOS RMSE <= 0.5 mm at >= 90 % coverage of the merged image's data
    assert cmp["los_rmse_mm"] <= 0.5, cmp
    assert cmp["fraction_of_data"] >= 0.9, cmp
    with rasterio.open(pair / "los_displacement.tif") as src:
        assert src.crs.to_epsg() == 4326 and src.tags()["MODE"] == "IW"
    merged = json.loads(next((site / "merged").glob("*.merged.json")).read_text())
    assert merged["swath"] == "IW1+IW2"
    for rule in ("tops_merge", "tops_coregister", "interferogram", "unwrap", "geocode"):
        assert list((tmp_path / "benchmarks" / "demo_iw" / rule).glob("*.tsv")), rule
