"""compare_truth by blocks (dinsar.steps.truth): the same statistics as a whole-array numpy computation,
whatever the block size, on a synthetic interferogram with a known truth, noise, a second connected
component and pixels without data."""

import json

import numpy as np
import pytest
import rasterio

from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import raster
from dinsar.steps import truth

WAVELENGTH = 0.0555
LOOKS = (3, 2)
FULL = (61, 44)  # a partial last multilook block in both directions, dropped by the grid


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(4)
    grid = MultilookGrid(LOOKS, FULL)
    ny, nx = grid.shape
    ll, cc = np.mgrid[0:FULL[0], 0:FULL[1]]
    d_full = 0.01 * np.exp(-((ll - 30) ** 2 + (cc - 20) ** 2) / 300.0) + 1e-4 * cc  # metres
    d_true = d_full[:ny * 3, :nx * 2].reshape(ny, 3, nx, 2).mean(axis=(1, 3))
    noise = rng.normal(0, 3e-4, (ny, nx))
    unw = (-4 * np.pi * (d_true + noise + 0.002) / WAVELENGTH).astype(np.float32)  # an arbitrary reference
    phase = np.angle(np.exp(1j * (unw + rng.normal(0, 0.2, unw.shape)))).astype(np.float32)
    coh = rng.uniform(0.3, 1.0, (ny, nx)).astype(np.float32)
    ok = np.ones((ny, nx), np.float32)
    ok[:2, :] = 0
    comp = np.ones((ny, nx), np.float32)
    comp[-3:, -4:] = 2  # a smaller second component: not counted
    comp[5, 5] = 0
    ifg = tmp_path / "ifg.tif"
    with rasterio.open(ifg, "w", **raster.geotiff_profile(ny, nx, np.float32, count=4)) as w:
        w.write(np.stack([np.ones_like(coh), phase, coh, ok]))
        w.update_tags(**grid.tags())
    unw_tif = tmp_path / "unw.tif"
    ref = (7, 9)
    with rasterio.open(unw_tif, "w", **raster.geotiff_profile(ny, nx, np.float32, count=2)) as w:
        w.write(np.stack([unw, comp]))
        w.update_tags(REFERENCE_LINE=str(ref[0]), REFERENCE_COL=str(ref[1]))
    tdir = tmp_path / "truth"
    tdir.mkdir()
    with rasterio.open(tdir / "los_displacement.tif", "w", **raster.geotiff_profile(*FULL, np.float32)) as w:
        w.write(d_full.astype(np.float32), 1)
    (tdir / "truth.json").write_text(json.dumps({"wavelength_m": WAVELENGTH}))
    return ifg, unw_tif, tdir, dict(d_true=d_full.astype(np.float32).astype(np.float64)[:ny * 3, :nx * 2]
                                    .reshape(ny, 3, nx, 2).mean(axis=(1, 3)), unw=unw, phase=phase, coh=coh,
                                    ok=ok > 0, comp=comp, ref=ref)


def _numpy(a: dict) -> dict:
    """The statistics in plain numpy over whole arrays (the definition compare_truth documents)."""
    d_est = -WAVELENGTH * a["unw"].astype(np.float64) / (4 * np.pi)
    d_true = a["d_true"]
    use = a["ok"] & (a["comp"] == 1) & (a["coh"] >= 0.5)
    r0, c0 = a["ref"]
    diff = (d_est - d_est[r0, c0]) - (d_true - d_true[r0, c0])
    diff = diff - diff[use].mean()
    resid = np.angle(np.exp(1j * (a["phase"] + 4 * np.pi * d_true / WAVELENGTH)))
    resid = np.angle(np.exp(1j * (resid - np.angle(np.exp(1j * resid[use]).mean()))))
    return {"pixels": int(use.sum()), "los_rmse_mm": float(np.sqrt(np.mean(diff[use] ** 2)) * 1000),
            "los_max_abs_mm": float(np.abs(diff[use]).max() * 1000),
            "wrapped_phase_residual_rms_rad": float(np.sqrt(np.mean(resid[use] ** 2))),
            "fraction_of_data": float(use.sum() / a["ok"].sum()), "fraction": float(use.mean())}


@pytest.mark.parametrize("block_rows", [1, 4, 256])
def test_blocks_give_the_whole_array_statistics(pair, tmp_path, monkeypatch, block_rows):
    ifg, unw, tdir, arrays = pair
    monkeypatch.setattr(truth, "BLOCK_ROWS", block_rows)
    got = truth.compare_truth(unw, ifg, tdir, tmp_path / "cmp.json")
    want = _numpy(arrays)
    assert got["pixels"] == want["pixels"] and got["fraction"] == pytest.approx(want["fraction"])
    # the RMSE from running sums (Σd, Σd²): 1e-9 relative on ~0.3 mm values
    for key in ("los_rmse_mm", "los_max_abs_mm", "wrapped_phase_residual_rms_rad", "fraction_of_data"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key
    assert 0.25 < got["los_rmse_mm"] < 0.35  # the 0.3 mm of noise put in
    assert json.loads((tmp_path / "cmp.json").read_text()) == got
