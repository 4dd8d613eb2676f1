"""`dinsar run` on the simulated IW TOPS demo (config/sites/demo_iw.yaml, smaller sub-swaths): two
sub-swaths of three bursts merged, coregistered with ESD, unwrapped after the merge, geocoded, and
compared with the simulator's truth (its own zero-Doppler grid, no code shared with the chain)."""

import json
import re
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


def _dry_run_threads(cwd, cores: int) -> dict[str, int]:
    """Each job's threads as Snakemake's dry run prints them (a job block names `threads:` only above 1)."""
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", "demo_iw.yaml", "--cores", str(cores), "-n",
                          "--until", "interferogram"], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    threads = {}
    for block in re.split(r"^\[[^\]\n]+\]$", run.stdout, flags=re.M):  # a job's block follows its [date] line
        rule = next((ln.split()[1].rstrip(":") for ln in block.splitlines() if ln.startswith(("rule ", "localrule "))),
                    None)
        if rule:
            n = [int(ln.split(":")[1]) for ln in block.splitlines() if ln.strip().startswith("threads:")]
            threads[rule] = n[0] if n else 1
    return threads


def test_iw_master_merge_and_dem_projection_share_few_cores(tmp_path):
    # on 2 cores the master's two independent branches get one thread each (side by side); from 4, two each
    (tmp_path / "demo_iw.yaml").write_text((ROOT / "config" / "sites" / "demo_iw.yaml").read_text())
    two, eight = _dry_run_threads(tmp_path, 2), _dry_run_threads(tmp_path, 8)
    assert (two["tops_merge"], two["dem_projection"], two["tops_coregister"]) == (1, 1, 2), two
    assert (eight["tops_merge"], eight["dem_projection"], eight["tops_coregister"]) == (2, 2, 2), eight
