"""`dinsar run` on a simulated COSMO-SkyMed StripMap pair (`dinsar simulate --sensor csk`, HDF5 products
named in a local-pair config): staged, the whole chain, a geocoded LOS displacement compared with the
simulator's truth; a pair mixing Sentinel-1 and COSMO-SkyMed is refused in one line."""

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import yaml

from dinsar.simulate.config import PairConfig
from dinsar.simulate.cosmo_pair import build_cosmo_scene
from dinsar.simulate.cosmo_scene import CosmoConfig
from dinsar.simulate.cosmo_writer import write_product

pytestmark = pytest.mark.workflow

SIZE = (512, 512)


def _dinsar(*args, cwd, timeout=900):
    return subprocess.run([sys.executable, "-m", "dinsar.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _simulate_and_run(tmp_path, *simulate_args):
    made = _dinsar("simulate", "--out", "pair", "--sensor", "csk", "--size", f"{SIZE[0]}x{SIZE[1]}",
                   *simulate_args, cwd=tmp_path)
    assert made.returncode == 0, made.stderr[-2000:]
    master, slave = made.stdout.splitlines()[:2]
    cfg = {"site": "csk", "products": {"master": master, "slave": slave}, "dem": "pair/dem.tif",
           "polarisation": "HH"}
    (tmp_path / "csk.yaml").write_text(yaml.safe_dump(cfg))
    run = _dinsar("run", "csk.yaml", "--cores", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "dinsar: LOS displacement vs truth: RMSE" in run.stdout  # the truth beside the products was found
    return run


def test_csk_pair_to_geocoded_los(tmp_path):
    _simulate_and_run(tmp_path)
    site = tmp_path / "results" / "csk"
    truth = json.loads((tmp_path / "pair" / "truth" / "truth.json").read_text())
    # staged under the file's stem, copies (the user's files are not touched)
    staged = sorted(p.name for p in (site / "products").iterdir())
    assert staged == sorted([truth["master"], truth["slave"]])
    assert not list(tmp_path.glob("logs/csk/unpack/*")) and list(tmp_path.glob("benchmarks/csk/stage_hdf5/*.tsv"))
    (pair,) = (site / "pairs").iterdir()
    assert pair.name == "20160818_20160830"
    cmp = json.loads((pair / "truth_comparison.json").read_text())
    assert cmp["los_rmse_mm"] <= 1.0, cmp  # the figures: 1 mm at >= 90 % coverage
    assert cmp["fraction"] >= 0.9, cmp
    with rasterio.open(pair / "los_displacement.tif") as src:
        assert src.crs.to_epsg() == 4326
        tags = src.tags()
        assert tags["MASTER_PLATFORM"] == "CSKS2" and tags["MODE"] == "HIMAGE" and tags["POLARISATION"] == "HH"
        assert float(tags["WAVELENGTH_M"]) == pytest.approx(0.031228)
        los, transform = src.read(1), src.transform
    # the geocoded map where the simulator put each master pixel's ground (its own numpy/PROJ geometry),
    # against the truth there, relative to their mean (the unwrapping reference is arbitrary)
    scene = build_cosmo_scene(PairConfig(size=SIZE), tmp_path / "pair" / "dem.tif", 1)
    m = scene.master
    lines, cols = np.arange(8, SIZE[0] - 8, 24), np.arange(8, SIZE[1] - 8, 24)
    t = m.first_line_s + lines[:, None] * m.ati + 0 * cols[None, :]
    r = (m.near_range_time_s + cols[None, :] / m.fs) * 299_792_458.0 / 2 + 0 * t
    b = scene.block(lines, cols, *scene.start(t, r))
    with rasterio.open(tmp_path / "pair" / "truth" / "los_displacement.tif") as src:
        d_true = src.read(1)[np.ix_(lines, cols)]
    row, col = rasterio.transform.rowcol(transform, b["lon"].ravel(), b["lat"].ravel())
    row, col = np.asarray(row).reshape(b["lon"].shape), np.asarray(col).reshape(b["lon"].shape)
    inside = (row >= 0) & (row < los.shape[0]) & (col >= 0) & (col < los.shape[1])
    d_geo = np.where(inside, los[np.clip(row, 0, los.shape[0] - 1), np.clip(col, 0, los.shape[1] - 1)], np.nan)
    use = np.isfinite(d_geo) & np.isfinite(d_true) & b["ok"]
    assert use.mean() >= 0.9
    diff = (d_geo - d_true)[use]
    assert np.sqrt(np.mean((diff - diff.mean()) ** 2)) < 1e-3  # metres; the geocoding posting's smoothing too


def test_a_pair_mixing_sensors_is_refused_in_one_line(tmp_path, demo_zip):
    csk, _ = write_product(tmp_path / "csk", CosmoConfig())
    cfg = {"site": "mixed", "products": {"master": str(demo_zip), "slave": str(csk)}}
    (tmp_path / "mixed.yaml").write_text(yaml.safe_dump(cfg))
    run = _dinsar("run", "mixed.yaml", "--cores", "1", cwd=tmp_path, timeout=300)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"dinsar: mixed.yaml: products.slave: {csk} is a COSMO-SkyMed product and the master a Sentinel-1 one; "
        "a pair (or stack) is one sensor's (mixed sensors are not supported)"]
    assert not (tmp_path / "results").exists()


def test_csk_spotlight_pair_to_geocoded_los(tmp_path):
    """An ENHANCED SPOTLIGHT pair (~1 m pixels), its centroid sweeping over 1.5 line rates along the scene:
    the slave is resampled between a deramp and a reramp with the carrier of its own Doppler polynomials."""
    _simulate_and_run(tmp_path, "--mode", "SPOT")
    site = tmp_path / "results" / "csk"
    (log,) = (tmp_path / "logs" / "csk" / "coregister").iterdir()
    assert "(Spotlight: deramped with its own carrier" in log.read_text()
    (pair,) = (site / "pairs").iterdir()
    cmp = json.loads((pair / "truth_comparison.json").read_text())
    # 0.13 mm measured (the StripMap pair: 0.12 mm); with the slave resampled without the deramp, 0.60 mm
    # and a 0.28 rad wrapped-phase residual (against 0.15): the 1 mm of the issue would not tell them apart
    assert cmp["los_rmse_mm"] <= 0.3, cmp
    assert cmp["wrapped_phase_residual_rms_rad"] <= 0.2, cmp
    assert cmp["fraction"] >= 0.9, cmp
    with rasterio.open(pair / "los_displacement.tif") as src:
        assert src.tags()["MODE"] == "ENHANCED SPOTLIGHT"


def test_csk_stack_through_dinsar_stack(tmp_path):
    """`dinsar stack` on a folder of COSMO-SkyMed files (SAR_MultiSlc's choice by date from the file names):
    each slave coregistered on the master, baselines, each pair's LOS against its truth."""
    stack = [{"days": 12, "baseline_m": 80.0}, {"days": 24, "baseline_m": -50.0}]
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump({"simulate": {"size": [384, 384], "stack": stack}}))
    made = _dinsar("simulate", "--out", "sim", "--sensor", "csk", "--config", "sim.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr[-2000:]
    truth = json.loads((tmp_path / "sim" / "truth" / "truth.json").read_text())
    assert len(truth["slaves"]) == 2 and made.stdout.splitlines()[0].endswith(truth["master"])
    run = _dinsar("stack", "-i", "sim/master", "sim/slave", "-o", "out", "--dem", "sim/dem.tif", "--pol", "HH",
                  "--cores", "2", cwd=tmp_path)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "stack of 3 dates" in run.stdout
    site = tmp_path / "out" / "results" / "stack"
    baselines = json.loads((site / "stack" / "baselines.json").read_text())
    got = {p["name"]: p for p in baselines["products"]}
    for name, cfg in zip(truth["slaves"], stack, strict=True):
        assert got[name.removesuffix(".h5")]["b_perp_m"] == pytest.approx(cfg["baseline_m"], abs=0.05)
        assert got[name.removesuffix(".h5")]["days"] == pytest.approx(cfg["days"], abs=1e-6)
    comparisons = sorted(site.glob("pairs/*/truth_comparison.json"))
    assert len(comparisons) == 2  # the truth beside the products was found for each master-slave pair
    for path in comparisons:
        cmp = json.loads(path.read_text())
        assert cmp["los_rmse_mm"] <= 1.0 and cmp["fraction"] >= 0.9, (path, cmp)
