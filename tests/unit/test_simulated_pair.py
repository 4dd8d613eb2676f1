"""The simulated pair: real format, geometry independent of the chain's yet in agreement, statistics.

Checks of the Simulator issue:
- the products read like the real ones and their geolocation grids reproduce their geometry (< 0.01 px);
- the simulator's slave ranges/positions (numpy, PROJ) agree with the chain's geo2rdr (numba) < 1 mm;
- amplitude is Rayleigh (KS test) and the pair's coherence is the configured one within ±0.02.
"""

import json

import numpy as np
import pytest
import rasterio
from scipy import stats

from dinsar.geometry.radar import C
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate.pair import PairConfig, pair_names, write_pair
from dinsar.simulate.synthesis import convolve_grid, response_numpy, splat
from tests.conftest import AZORES_EOF, S3_SAFE

STATIC = {"lon": 55.72, "lat": -21.244, "depth_m": 2500.0, "dvolume_m3": 0.0}


@pytest.fixture(scope="module")
def static_pair(tmp_path_factory):
    """No deformation, so the slave sees exactly the master's ground points."""
    out = tmp_path_factory.mktemp("pair")
    cfg = PairConfig(size=(256, 320), seed=3, mogi=STATIC, orbit_file=str(AZORES_EOF))
    truth = write_pair(out, cfg)
    return out, cfg, truth


def _products(out):
    (m,) = (out / "master").glob("*.SAFE")
    (s,) = (out / "slave").glob("*.SAFE")
    return open_product(m, "VV"), open_product(s, "VV")


def test_layout_names_and_real_format(static_pair):
    out, cfg, truth = static_pair
    master, slave = _products(out)
    assert (master.name, slave.name) == pair_names(cfg)
    assert master.name.startswith("S1A_S4_SLC__1SDV_20160818T1422")
    assert master.polarisations == ["VH", "VV"] and master.shape == (256, 320)
    assert len(list((out / "orbits").glob("S1A_OPER_AUX_POEORB_OPOD_*.EOF"))) == 2
    assert (out / "dem.tif").is_file()
    for name in ("los_displacement.tif", "offsets.tif", "coherence.tif", "deformation_phase.tif",
                 "truth.json"):
        assert (out / "truth" / name).is_file()
    assert "rotated" in truth["orbit"]  # a real orbit was used
    # the annotation has what the reader takes from real products, with the same kinds of values
    real = open_product(S3_SAFE, "VH").annotation
    a = master.annotation
    for field in ("mission", "product_type", "mode", "pass_direction"):
        assert type(getattr(a, field)) is type(getattr(real, field))
    assert a.mode == "S4" and a.product_type == real.product_type == "SLC"
    assert 7400 < np.linalg.norm(a.state_vectors.velocity, axis=1).mean() < 7700
    assert 30 < a.incidence_angle_mid_deg < 42 and abs(a.platform_heading_deg + 12) < 5
    # the EOF files carry the same orbit as the annotation
    day = str(a.first_line_time)[:10].replace("-", "")
    eof = open_product(out / "master" / f"{master.name}.SAFE", "VV",
                       orbit=next((out / "orbits").glob(f"*V{day}*")))
    g = a.geolocation_grid
    np.testing.assert_allclose(eof.geo2rdr(g.longitude, g.latitude, g.height)[1], g.pixel, atol=0.01)
    # the folder: master and slave each take their own file
    for role in ("master", "slave"):
        product = open_product(next((out / role).glob("*.SAFE")), "VV", orbit=out / "orbits")
        assert "POEORB" in product.state_vectors.source
        assert product.state_vectors.covers(product.annotation.first_line_time, product.annotation.last_line_time)


@pytest.mark.parametrize("role", [0, 1])
def test_geolocation_grid_reproduces_its_geometry(static_pair, role):
    product = _products(static_pair[0])[role]
    g = product.annotation.geolocation_grid
    line, col = product.geo2rdr(g.longitude, g.latitude, g.height)
    assert np.abs(line - g.line).max() < 0.01 and np.abs(col - g.pixel).max() < 0.01


def test_simulator_and_chain_agree_on_slave_positions(static_pair):
    """Truth offsets (simulator) minus the misregistration = the chain's geo2rdr of each master
    pixel's ground point in the slave; < 1 mm in range (0.0004 px) and < 0.001 lines."""
    out, cfg, truth = static_pair
    master, slave = _products(out)
    with rasterio.open(out / "truth" / "height.tif") as h, rasterio.open(out / "truth" / "offsets.tif") as o:
        height, offsets = h.read(1), o.read()
    ll, cc = np.mgrid[0:256:9, 0:320:11]
    lon, lat, hh = master.rdr2geo(ll, cc, height[ll, cc])
    ls, cs = slave.geo2rdr(lon, lat, hh)
    a, b = cfg.misregistration["line"], cfg.misregistration["col"]
    line_truth = ll + offsets[0][ll, cc] - (a[0] + a[1] * ll + a[2] * cc)
    col_truth = cc + offsets[1][ll, cc] - (b[0] + b[1] * ll + b[2] * cc)
    range_diff_m = (cs - col_truth) / slave.annotation.range_sampling_rate_hz * C / 2
    resolved = np.isfinite(col_truth)
    assert resolved.mean() > 0.95
    assert np.abs(range_diff_m[resolved]).max() < 1e-3
    assert np.abs((ls - line_truth)[resolved]).max() < 1e-3
    assert truth["range_check_max_m"] < 1e-4  # Newton stops at 1e-5 m residuals


def test_coherence_of_a_pair_without_motion(tmp_path):
    """Zero baseline, no shift, no misregistration, no deformation: the slave's scatterers sit
    where the master's do, so the coherence estimated without resampling is the configured
    one (0.7) times the thermal-noise factor 1/(1 + 1/SNR), within ±0.02 on 1024²."""
    cfg = PairConfig(size=(1024, 1024), seed=5, coherence=0.7, snr_db=20.0, baseline_m=0.0,
                     slave_shift=(0.0, 0.0), misregistration={"line": [0, 0, 0], "col": [0, 0, 0]},
                     mogi=STATIC, orbit_file=str(AZORES_EOF))
    truth = write_pair(tmp_path, cfg)
    master, slave = _products(tmp_path)
    m, s = master.read(), slave.read()
    expected = 0.7 / (1 + 10 ** (-2.0))
    assert truth["expected_coherence"] == pytest.approx(expected)
    # boxcar 9×9 estimator, bias for 81 looks at 0.7: < 0.005
    k = 9
    h, w = (1024 // k) * k, (1024 // k) * k

    def box(a):
        return a[:h, :w].reshape(h // k, k, w // k, k).sum(axis=(1, 3))

    coh = np.abs(box(m * np.conj(s))) / np.sqrt(box(np.abs(m) ** 2) * box(np.abs(s) ** 2))
    assert np.mean(coh) == pytest.approx(expected, abs=0.02)
    # speckle: amplitude over the local rms (9×9) follows a Rayleigh law of σ² = 1/2; the local
    # normalisation itself bends the tail a little, so the KS distance is the check (< 0.02)
    amp = np.abs(m).astype(np.float64)
    local = np.sqrt(np.repeat(np.repeat(box(amp**2) / k**2, k, 0), k, 1))
    z = (amp[:h, :w] / local).ravel()[::7]
    assert stats.kstest(z, stats.rayleigh(scale=np.sqrt(0.5)).cdf).statistic < 0.02


def test_deformation_truth_is_a_mogi_bulge(tmp_path):
    cfg = PairConfig(size=(128, 128), seed=2, orbit_file=str(AZORES_EOF))
    truth = write_pair(tmp_path, cfg)
    with rasterio.open(tmp_path / "truth" / "los_displacement.tif") as src:
        d = src.read(1)
    with rasterio.open(tmp_path / "truth" / "deformation_phase.tif") as src:
        unwrapped, wrapped = src.read()
    # inflation moves the ground up and out: toward an ascending right-looking sensor on this flank
    assert d.max() > 0.01 and truth["los_max_m"] == pytest.approx(float(d.max()), rel=1e-6)
    np.testing.assert_allclose(unwrapped, -4 * np.pi * d / truth["wavelength_m"], rtol=1e-5)
    np.testing.assert_allclose(np.exp(1j * wrapped), np.exp(1j * unwrapped), atol=1e-4)
    meta = json.loads((tmp_path / "truth" / "truth.json").read_text())
    assert meta["mogi"]["dvolume_m3"] > 0


def test_splat_kernel_matches_numpy():
    rng = np.random.default_rng(0)
    n = 200
    v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    lp, cp = rng.uniform(0, 20, n), rng.uniform(0, 30, n)
    out = splat(v, lp, cp, 0, 20, 30, 0.8, 0.85)
    ll, cc = np.mgrid[0:20, 0:30]
    ref = sum(v[k] * response_numpy(ll - lp[k], 0.8) * response_numpy(cc - cp[k], 0.85) for k in range(n))
    # the kernel interpolates a table (1/2048 px): < 1e-3 of the largest sample, the error is at the
    # window's edge where the response steps to zero
    assert np.abs(out - ref).max() < 1e-3 * np.abs(ref).max()


def test_separable_grid_convolution_equals_splat():
    """Scatterers on the integer grid: the two 1-D passes give the 2-D splat's field (same table nodes,
    so to rounding: 1e-12), including the edges and an output window offset from the scatterers'."""
    rng = np.random.default_rng(1)
    v = rng.standard_normal((30, 40)) + 1j * rng.standard_normal((30, 40))
    first_row, col_offset = -5, 4  # scatterer rows -5..24, columns -4..35
    ll, cc = np.meshgrid(np.arange(first_row, first_row + 30.0), np.arange(40.0) - col_offset, indexing="ij")
    ref = splat(v.ravel(), ll.ravel(), cc.ravel(), 3, 12, 33, 0.8, 0.85)
    out = convolve_grid(v, first_row, col_offset, 3, np.zeros((12, 33), complex), 0.8, 0.85)
    assert np.abs(out - ref).max() < 1e-12 * np.abs(ref).max()
    # accumulating: a second call adds
    convolve_grid(v, first_row, col_offset, 3, out, 0.8, 0.85)
    np.testing.assert_allclose(out, 2 * ref, rtol=1e-12, atol=1e-12)


def test_generation_does_not_depend_on_block_size_or_threads(tmp_path, monkeypatch):
    """Streaming: the scene built from blocks of 8 scatterer lines in 1 geometry strip equals the one
    built from whole-image blocks in 3 strips, to the CInt16 rounding (1 DN: sums in another order),
    truth to float32 rounding."""
    from dinsar.simulate import images as si

    cfg = PairConfig(size=(96, 300), seed=4, orbit_file=str(AZORES_EOF))
    real = si._block_in_threads
    images = {}
    for name, block, parts in (("small", 8 * 336, 1), ("large", 1 << 19, 3)):
        monkeypatch.setattr(si, "BLOCK_SCATTERERS", block)
        monkeypatch.setattr(si, "_block_in_threads", lambda *a, p=parts: real(*a, parts=p) if p > 1 else
                            a[0].block(*a[1:]))
        write_pair(tmp_path / name, cfg)
        (m,) = (tmp_path / name / "master").glob("*.SAFE")
        (s,) = (tmp_path / name / "slave").glob("*.SAFE")
        images[name] = [rasterio.open(next((p / "measurement").glob("*vv*.tiff"))).read(1) for p in (m, s)]
        with rasterio.open(tmp_path / name / "truth" / "offsets.tif") as src:
            images[name].append(src.read())
    for a, b in zip(images["small"][:2], images["large"][:2], strict=True):
        assert np.abs(a.real.astype(int) - b.real).max() <= 1 and np.abs(a.imag.astype(int) - b.imag).max() <= 1
        assert np.mean(a == b) > 0.99
    np.testing.assert_allclose(images["small"][2], images["large"][2], atol=1e-5)


def test_geolocation_grid_of_a_long_scene(tmp_path):
    """A 12000-line scene spans ~0.45° of latitude: every node of its geolocation grid is the ground
    point on the DEM seen at that node's time and range (simulator geometry: < 1 mm, DEM height
    < 1 mm), corners included (a Newton start shared by all nodes left the far ones unsolved)."""
    from dinsar.simulate import geometry as sg
    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.pair import _grid_nodes
    from dinsar.simulate.scene import build_scene

    cfg = PairConfig(size=(12000, 8000), orbit_file=str(AZORES_EOF))
    write_volcano_dem(tmp_path / "dem.tif", half_size_deg=0.33, centre=(cfg.mogi["lon"], cfg.mogi["lat"]))
    scene = build_scene(cfg, tmp_path / "dem.tif")
    m = scene.master
    g = _grid_nodes(m, *cfg.size, scene.dem)
    assert np.ptp(g.latitude) > 0.35
    x = sg.llh_to_xyz(g.longitude, g.latitude, g.height)
    t, r, _ = sg.zero_doppler(m.orbit, x, m.first_line_s + g.line * m.ati)
    np.testing.assert_allclose(r, g.slant_range_time * C / 2, atol=1e-3)
    np.testing.assert_allclose((t - m.first_line_s) / m.ati, g.line, atol=1e-3)
    np.testing.assert_allclose(g.height, scene.dem(g.longitude, g.latitude), atol=1e-3)


def test_ground_by_bisection_where_newton_cycles(tmp_path):
    """A grid node of the 2048² demo slave whose range circle grazes the summit: Newton cycles
    between ±0.01° steps; bisection on the look angle lands on the surface (< 1 mm) at that range."""
    from dinsar.simulate import geometry as sg
    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.scene import build_scene

    cfg = PairConfig(size=(2048, 2048), seed=1, orbit_file=str(AZORES_EOF))
    write_volcano_dem(tmp_path / "dem.tif", half_size_deg=0.16, centre=(cfg.mogi["lon"], cfg.mogi["lat"]))
    scene = build_scene(cfg, tmp_path / "dem.tif")
    p = scene.slaves[0]
    t = np.array([p.first_line_s + 1137 * p.ati])
    r = np.array([(p.near_range_time_s + 682 / p.fs) * C / 2])
    x, ok = sg.ground_by_bisection(p.orbit, t, r, scene.dem, 0.0, 3000.0)
    assert ok.all()
    lon, lat, h = sg.to_geodetic(x)
    assert abs(h[0] - scene.dem(lon, lat)[0]) < 1e-3 and h[0] > 2000
    assert abs(sg.norm3(x - p.orbit.position(t))[0] - r[0]) < 1e-6
