"""The chain on simulated pairs with known truth (tolerances of the Chain issue).

- offsets: the refined grid's residual recovers the simulated misregistration within 0.01 px rms
  (1024² pair, coherence 0.9, no deformation);
- noise-free pair with a Mogi source: LOS displacement RMSE <= 1 mm against the truth and
  wrapped-phase residual <= 0.05 rad rms over coherent pixels;
- coherence 0.7: the 3×3 estimate within ±0.03 of the truth (the 9-look estimator's bias at 0.7 is
  ~+0.01, inside that);
- refusals: master = slave, different modes, no overlap, an unwrapping failure.
"""

import dataclasses
import json

import numpy as np
import pytest
import rasterio

from dinsar import steps
from dinsar.errors import DinsarError
from dinsar.interferometry.grid import Residual
from dinsar.interferometry.unwrap import UnwrappingError, unwrap
from dinsar.kernels.interferogram import zero_fill
from dinsar.settings import defaults
from dinsar.simulate.pair import PairConfig, write_pair
from dinsar.steps import geocode as geocode_step
from dinsar.steps import interferometry as chain
from dinsar.steps.truth import compare_truth
from dinsar.steps.unwrap import filter_unwrap

STATIC = {"lon": 55.7237, "lat": -21.244, "depth_m": 2500.0, "dvolume_m3": 0.0}


def _run(out, through="unwrap"):
    m = next((out / "master").glob("*.SAFE"))
    s = next((out / "slave").glob("*.SAFE"))
    g = out / "chain"
    steps.dem_projection(m, out / "dem.tif", g / "p.tif", g / "h.tif", g / "xyz.tif", threads=2)
    chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    if through == "grid":
        return m, s, g
    chain.coregister(m, s, g / "h.tif", g / "grid.json", g / "coreg.tif", threads=2)
    chain.interferogram(m, s, g / "coreg.tif", g / "h.tif", g / "ifg.tif", (3, 3), threads=2)
    if through == "ifg":
        return m, s, g
    filter_unwrap(g / "ifg.tif", g / "filtered.tif", g / "unw.tif")
    return m, s, g


def test_offsets_recover_the_misregistration(tmp_path):
    cfg = PairConfig(size=(1024, 1024), seed=3, coherence=0.9, mogi=STATIC)
    truth = write_pair(tmp_path, cfg)
    _, _, g = _run(tmp_path, through="grid")
    stats = json.loads((g / "grid.json").read_text())
    model = Residual.from_json(stats["residual"])
    ll, cc = np.mgrid[0:1024:16, 0:1024:16]
    rl, rc = model(ll, cc)
    a, b = truth["misregistration"]["line"], truth["misregistration"]["col"]
    rms_line = np.sqrt(np.mean((rl - (a[0] + a[1] * ll + a[2] * cc)) ** 2))
    rms_col = np.sqrt(np.mean((rc - (b[0] + b[1] * ll + b[2] * cc)) ** 2))
    assert rms_line < 0.01 and rms_col < 0.01
    assert stats["kept"] >= 0.9 * stats["inside"]
    # a window budget: a coarser step, at most that many windows, the same residual within 0.02 px
    m, s = (next((tmp_path / d).glob("*.SAFE")) for d in ("master", "slave"))
    few_windows = dataclasses.replace(defaults().coregistration, max_windows=64)
    chain.deformation_grid(m, s, g / "xyz.tif", g / "g64.tif", g / "g64.json", opts=few_windows, threads=2)
    few = json.loads((g / "g64.json").read_text())
    assert 36 <= few["nodes"] <= 64 and few["step"] > 64
    fl, fc = Residual.from_json(few["residual"])(ll, cc)
    assert np.sqrt(np.mean((fl - rl) ** 2)) < 0.02 and np.sqrt(np.mean((fc - rc) ** 2)) < 0.02


def test_noise_free_mogi_pair_to_the_millimetre(tmp_path, monkeypatch):
    write_pair(tmp_path, PairConfig(size=(512, 512), seed=5, coherence=1.0, snr_db=None))
    m, _, g = _run(tmp_path)
    result = compare_truth(g / "unw.tif", g / "ifg.tif", tmp_path / "truth", g / "cmp.json")
    assert result["fraction"] > 0.9
    assert result["los_rmse_mm"] <= 1.0
    assert result["wrapped_phase_residual_rms_rad"] <= 0.05
    assert result["truth_los_range_mm"][1] - result["truth_los_range_mm"][0] > 20  # a real signal
    # geocoded: the LOS displacement at the ground point of a multilooked pixel is the radar value there
    geocode_step.geocode(m, tmp_path / "dem.tif", g / "unw.tif", g / "ifg.tif", g / "los.tif", g / "enu.tif",
                  g / "coh.tif", filtered_tif=g / "filtered.tif", dst_phase=g / "phase.tif")
    from dinsar.sensors.sentinel1 import open_product

    product = open_product(m, "VV")
    with rasterio.open(g / "unw.tif") as src:
        unw = src.read(1)
    with rasterio.open(tmp_path / "truth" / "height.tif") as src:
        height = src.read(1)
    rows, cols = np.mgrid[20:150:13, 20:150:17]
    lon, lat, _ = product.rdr2geo(rows * 3 + 1.0, cols * 3 + 1.0, height[rows * 3 + 1, cols * 3 + 1])
    radar_los = -product.annotation.wavelength_m * unw[rows, cols] / (4 * np.pi)
    with rasterio.open(g / "los.tif") as src, rasterio.open(g / "enu.tif") as enu:
        assert src.crs.to_epsg() == 4326 and src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        points = list(zip(lon.ravel(), lat.ravel(), strict=True))
        geo = np.array([v[0] for v in src.sample(points)]).reshape(rows.shape)
        e, n, u = np.array([v for v in enu.sample([(float(lon[0, 0]), float(lat[0, 0]))])])[0]
    # nearest-sample of a ~11 m grid against the pixel: within 0.3 mm on this smooth field
    assert np.nanmax(np.abs(geo - radar_los)) < 3e-4
    assert np.hypot(np.hypot(e, n), u) == pytest.approx(1.0, abs=1e-5)
    assert e < 0 and u > 0.7  # ascending, right looking: the satellite is west of the ground, above
    # geocoding streams blocks of output rows, each reading its radar window: 7-row blocks give the same
    # data mask and values to the coarse grid's interpolation (dinsar.interferometry.geocode_grid: its nodes
    # fall elsewhere in other blocks; < 4e-4 multilooked px): 1e-6 m of LOS on this ~10 cm field
    monkeypatch.setattr(geocode_step, "GEOCODE_BLOCK_LINES", 7)
    geocode_step.geocode(m, tmp_path / "dem.tif", g / "unw.tif", g / "ifg.tif", g / "los7.tif", g / "enu7.tif",
                  g / "coh7.tif", filtered_tif=g / "filtered.tif", dst_phase=g / "phase7.tif")
    for a, b, atol in (("los", "los7", 1e-6), ("enu", "enu7", 1e-7), ("coh", "coh7", 1e-3), ("phase", "phase7", 1e-3)):
        with rasterio.open(g / f"{a}.tif") as one, rasterio.open(g / f"{b}.tif") as other:
            x, y = one.read(), other.read()
            assert np.array_equal(np.isfinite(x), np.isfinite(y)), a
            np.testing.assert_allclose(x, y, rtol=0, atol=atol, err_msg=a)


def test_coherence_estimate_at_0_7(tmp_path):
    truth = write_pair(tmp_path, PairConfig(size=(512, 512), seed=6, coherence=0.7, mogi=STATIC))
    _, _, g = _run(tmp_path, through="ifg")
    with rasterio.open(g / "ifg.tif") as src:
        amp, phase, coh, ok = src.read()
    assert ok.mean() > 0.9
    assert np.mean(coh[ok > 0]) == pytest.approx(truth["expected_coherence"], abs=0.03)


@pytest.fixture(scope="module")
def small_pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    write_pair(out, PairConfig(size=(192, 192), seed=2))
    return out


def test_master_equal_to_slave_is_refused(small_pair):
    m = next((small_pair / "master").glob("*.SAFE"))
    with pytest.raises(DinsarError, match="the slave is the master acquisition"):
        chain.open_pair(m, m, "VV")


def test_different_modes_are_refused(small_pair, demo_zip):
    m = next((small_pair / "master").glob("*.SAFE"))
    with pytest.raises(DinsarError, match="slave mode S3 differs from the master's S4"):
        chain.open_pair(m, demo_zip, "VV")


def test_pair_without_overlap_is_refused(small_pair, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write_pair(elsewhere, PairConfig(size=(192, 192), seed=2, start_time="2016-08-18T14:22:05",
                                     target=(55.60, -21.10)))
    m = next((small_pair / "master").glob("*.SAFE"))
    s = next((elsewhere / "slave").glob("*.SAFE"))
    g = tmp_path / "g"
    steps.dem_projection(m, small_pair / "dem.tif", g / "p.tif", g / "h.tif", g / "xyz.tif")
    with pytest.raises(DinsarError, match="does not overlap"):
        chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json")
    assert not (g / "grid.tif").exists() and not (g / "grid.json").exists()


def test_unwrapping_failure_is_one_clear_error():
    ifg = np.exp(1j * np.random.default_rng(0).uniform(-np.pi, np.pi, (64, 64))).astype(np.complex64)
    with pytest.raises(UnwrappingError, match="nothing to unwrap"):
        unwrap(ifg, np.zeros((64, 64), np.float32), np.zeros((64, 64), bool), 9)


def test_zero_fill_is_no_data_but_a_lone_zero_is_a_sample():
    a = np.ones((6, 8), np.complex64)
    a[2, 3] = 0  # a dark sample rounded to 0 by CInt16
    a[:, 6:] = 0  # zero fill at the image edge
    mask = zero_fill(a)
    assert not mask[2, 3] and mask[:, 6:].all() and not mask[:, :6].any()


def test_turbulent_atmosphere_reaches_the_interferogram(tmp_path):
    """atmosphere_rms_rad: a power-law screen of that rms (truth/atmosphere_phase.tif), and the chain's
    interferogram carries it: with no deformation and no noise, interferogram phase - screen is flat."""
    rms = 1.5
    write_pair(tmp_path, PairConfig(size=(384, 384), seed=11, coherence=1.0, snr_db=None, mogi=STATIC,
                                    atmosphere_rms_rad=rms))
    with rasterio.open(tmp_path / "truth" / "atmosphere_phase.tif") as src:
        screen = src.read(1).astype(np.float64)
    assert np.std(screen) == pytest.approx(rms, rel=0.15)  # 1.46: the rms is set over the larger coarse grid
    # power-law: the screen is smooth (pixel-to-pixel changes far below its spread)
    assert np.std(np.diff(screen, axis=1)) < 0.05 * np.std(screen)
    _, _, g = _run(tmp_path, through="ifg")
    with rasterio.open(g / "ifg.tif") as src:
        phase, ok = src.read(2).astype(np.float64), src.read(4) > 0
    ny, nx = phase.shape
    ml_screen = screen[:ny * 3, :nx * 3].reshape(ny, 3, nx, 3).mean(axis=(1, 3))
    resid = np.angle(np.exp(1j * (phase - ml_screen)))[ok]
    resid = np.angle(np.exp(1j * (resid - np.angle(np.mean(np.exp(1j * resid))))))
    assert np.sqrt(np.mean(resid**2)) < 0.05  # the same residual level as the noise-free Mogi pair
    plain = np.angle(np.exp(1j * (phase[ok] - np.angle(np.mean(np.exp(1j * phase[ok]))))))
    assert np.sqrt(np.mean(plain**2)) > 0.5  # without the screen the phase is far from flat


def test_spatially_varying_coherence(tmp_path):
    """A decorrelated disc (coherence 0.3 in a 0.9 scene): the truth map holds it and the chain's
    9×9-look coherence finds it (the estimator's bias at 0.3 with 81 looks is ~+0.02)."""
    centre = {"lon": 55.7237, "lat": -21.244}
    write_pair(tmp_path, PairConfig(size=(512, 512), seed=12, coherence=0.9, snr_db=None, mogi=STATIC,
                                    decorrelation={**centre, "radius_m": 500.0, "coherence": 0.3}))
    with rasterio.open(tmp_path / "truth" / "coherence.tif") as src:
        truth = src.read(1)
    inside, outside = truth < 0.31, truth > 0.89
    assert inside.mean() > 0.05 and outside.mean() > 0.5
    m = next((tmp_path / "master").glob("*.SAFE"))
    s = next((tmp_path / "slave").glob("*.SAFE"))
    g = tmp_path / "chain"
    steps.dem_projection(m, tmp_path / "dem.tif", g / "p.tif", g / "h.tif", g / "xyz.tif", threads=2)
    chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    chain.coregister(m, s, g / "h.tif", g / "grid.json", g / "coreg.tif", threads=2)
    chain.interferogram(m, s, g / "coreg.tif", g / "h.tif", g / "ifg.tif", (9, 9), threads=2)
    with rasterio.open(g / "ifg.tif") as src:
        coh, ok = src.read(3), src.read(4) > 0
    ny, nx = coh.shape
    t = truth[:ny * 9, :nx * 9].reshape(ny, 9, nx, 9)
    core = (t.max(axis=(1, 3)) < 0.31) & ok  # multilooked cells wholly inside the disc
    rim = (t.min(axis=(1, 3)) > 0.89) & ok
    assert core.sum() >= 10
    assert np.mean(coh[core]) == pytest.approx(0.3, abs=0.06)
    assert np.mean(coh[rim]) == pytest.approx(0.9, abs=0.03)
