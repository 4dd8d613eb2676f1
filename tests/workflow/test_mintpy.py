"""MintPy export (issue 20.1): `dinsar run` on config/sites/demo_stack.yaml (made small) writes
results/<site>/mintpy/, MintPy's smallbaselineApp.py runs there as it is to the velocity, and MintPy's
LOS velocity matches the simulated truth's.

The stack: 5 dates 12 days apart, B⊥ -50..90 m, the 4 master-slave pairs and the 3 slave-slave pairs
12 days apart, a Mogi source under the scene inflating linearly. The truth's velocity is the
least-squares line through each pixel's simulated LOS displacement (master date 0, each slave's
truth/<slave>/los_displacement.tif, master radar grid), sampled at each MintPy pixel's centre (its
lon/lat and MintPy's own height, through the master's geo2rdr) and referenced, like MintPy's, to the
reference pixel. MintPy reads ROI_PAC's binary files here (no GDAL: its HyP3 GeoTIFF reader needs it).

Tolerance: the truth spans ~0.1 m/yr of relative LOS velocity across the scene. Each pair's LOS
displacement is within ~0.25 mm rms of its truth (speckle, thermal noise; tests/workflow/
test_stack_workflow.py); over 48 days that is ~2.5 mm/yr of velocity noise per pixel. Its constant part
(the reference pixel's own noise, which MintPy subtracts everywhere) is bounded at 8 mm/yr (3 σ of one
pixel); the rest at 3 mm/yr rms and 12 mm/yr at any pixel, and the velocity's scale against the truth's
within 2 %. Measured: see the README's "Stack → MintPy".
"""

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import rasterio
import yaml
from scipy.ndimage import map_coordinates

from dinsar.io import roipac
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import ROOT

pytestmark = pytest.mark.workflow

MINTPY = shutil.which("smallbaselineApp.py", path=os.path.dirname(sys.executable)) or shutil.which(
    "smallbaselineApp.py")


def _run(cmd, cwd, timeout):
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return run


def _truth_velocity(pair):
    """(LOS velocity m/yr on the master radar grid, its worst departure from a line in m) of the truth."""
    truth = json.loads((pair / "truth" / "truth.json").read_text())
    days, maps = [0.0], []
    for slave in truth["slaves"]:
        name = slave.removesuffix(".SAFE")
        days.append(json.loads((pair / "truth" / name / "truth.json").read_text())["days"])
        with rasterio.open(pair / "truth" / name / "los_displacement.tif") as src:
            maps.append(src.read(1).astype(np.float64))
    d = np.stack([np.zeros_like(maps[0])] + maps).reshape(len(days), -1)
    years = np.array(days) / 365.25
    a = np.c_[np.ones_like(years), years]
    coef = np.linalg.lstsq(a, d, rcond=None)[0]
    return coef[1].reshape(maps[0].shape), float(np.nanmax(np.abs(d - a @ coef)))


@pytest.mark.skipif(MINTPY is None, reason="MintPy (smallbaselineApp.py) is a test dependency: pip install .[test]")
def test_stack_to_mintpy_velocity(tmp_path):
    cfg = yaml.safe_load((ROOT / "config" / "sites" / "demo_stack.yaml").read_text())
    cfg["simulate"]["size"] = [320, 320]
    cfg["stack"]["small_baseline"] = {"max_days": 13, "max_perp_m": 150}  # the 3 pairs 12 days apart
    cfg["mintpy"]["reference"] = {"lon": 55.7215, "lat": -21.2470}  # inside the smaller scene, 0.4 km SW
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(cfg))
    _run([sys.executable, "-m", "dinsar.cli", "run", "site.yaml", "--cores", "2"], tmp_path, 1500)
    site = tmp_path / "results" / cfg["site"]
    mp = site / "mintpy"

    # what load_data reads: 7 pairs, date1 < date2, ROI_PAC files with their attributes
    folders = sorted(p.name for p in (mp / "interferograms").iterdir() if p.is_dir())
    assert len(folders) == 7 and all(a < b for a, b in (f.split("_") for f in folders))
    unw = mp / "interferograms" / folders[0] / f"filt_{folders[0]}.unw"
    attrs = roipac.read_rsc(unw)
    for key in ("WAVELENGTH", "HEADING", "STARTING_RANGE", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "EARTH_RADIUS",
                "HEIGHT", "CENTER_LINE_UTC", "ALOOKS", "RLOOKS", "ORBIT_DIRECTION", "P_BASELINE_TOP_HDR",
                "P_BASELINE_BOTTOM_HDR", "DATE12", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP"):
        assert key in attrs, key
    assert attrs["DATE12"] == f"{folders[0][2:8]}-{folders[0][11:17]}"
    assert float(attrs["P_BASELINE_TOP_HDR"]) == pytest.approx(cfg["simulate"]["stack"][0]["baseline_m"], abs=0.1)
    with rasterio.open(site / "pairs" / folders[0] / "los_displacement.tif") as src:
        los = src.read(1)  # the same grid: the pair's LOS displacement is -λφ/4π of the exported phase
        assert (float(attrs["X_FIRST"]), float(attrs["Y_STEP"])) == (src.transform.c, src.transform.e)
    phase = roipac.read(unw)[1]
    ok = np.isfinite(los)
    np.testing.assert_allclose(-float(attrs["WAVELENGTH"]) * phase[ok] / (4 * np.pi), los[ok], atol=1e-7)
    assert (phase[~ok] == 0).all()
    for name in ("height", "incidenceAngle", "azimuthAngle", "shadowMask"):
        assert (mp / "geometry" / f"{name}.hgt.rsc").is_file()

    # smallbaselineApp.py in the folder, with the cfg as it is, to the velocity. quick_overview is left out:
    # MintPy 1.6.4 fails to plot its histogram of triplets with a non-zero integer ambiguity when there is
    # none at all (np.histogram bins=0), which a stack unwrapped without error is
    for steps in (["--dostep", "load_data"], ["--dostep", "modify_network"], ["--dostep", "reference_point"],
                  ["--start", "correct_unwrap_error", "--end", "velocity"]):
        _run([MINTPY, "smallbaselineApp.cfg", *steps], mp, 600)
    with h5py.File(mp / "inputs" / "ifgramStack.h5") as f:
        assert f["unwrapPhase"].shape[0] == 7 and f["connectComponent"][:].max() >= 1
    with h5py.File(mp / "velocity.h5") as f:
        v, at = f["velocity"][:], dict(f.attrs)
    with h5py.File(mp / "maskTempCoh.h5") as f:
        mask = f["mask"][:]
    with h5py.File(mp / "inputs" / "geometryGeo.h5") as f:
        height = f["height"][:].astype(np.float64)
    assert (float(at["REF_LON"]), float(at["REF_LAT"])) == pytest.approx((55.7215, -21.2470), abs=1.2e-4)

    vtruth, nonlinear = _truth_velocity(site / "input" / "pair")
    assert nonlinear < 1e-4  # the Mogi source inflates linearly: the truth is a line in time
    master = open_product(next((site / "input" / "pair" / "master").glob("*.SAFE")), "VV")
    ny, nx = v.shape
    r, c = np.mgrid[0:ny, 0:nx]
    lon = float(at["X_FIRST"]) + (c + 0.5) * float(at["X_STEP"])
    lat = float(at["Y_FIRST"]) + (r + 0.5) * float(at["Y_STEP"])
    line, col = master.geo2rdr(lon.ravel(), lat.ravel(), height.ravel())
    vt = map_coordinates(vtruth, [np.nan_to_num(line, nan=-1e9), np.nan_to_num(col, nan=-1e9)], order=1,
                         cval=np.nan).reshape(ny, nx)
    vt -= vt[int(at["REF_Y"]), int(at["REF_X"])]
    good = mask & np.isfinite(v) & np.isfinite(vt)
    assert good.sum() > 0.5 * np.isfinite(vt).sum()  # most of the scene passes MintPy's temporal coherence
    err = v[good] - vt[good]
    span = np.ptp(vt[good])
    scale = np.polyfit(vt[good], v[good], 1)[0]
    print(f"MintPy velocity vs truth over {good.sum()} px: truth span {span * 1e3:.1f} mm/yr, error mean "
          f"{err.mean() * 1e3:.2f}, rms about it {err.std() * 1e3:.2f}, max {np.abs(err).max() * 1e3:.2f} mm/yr, "
          f"scale {scale:.4f}")
    assert span > 0.05
    assert abs(err.mean()) < 8e-3
    assert err.std() < 3e-3 and np.abs(err - err.mean()).max() < 12e-3
    assert scale == pytest.approx(1.0, abs=0.02)
