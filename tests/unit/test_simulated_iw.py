"""The simulated IW TOPS pair (dinsar.simulate.tops): real format, real burst timing, the carrier in the data.

Checks of issue 18 item 7 (two sub-swaths IW1, IW2, three bursts each) against values computed here from
the real annotations in ../shared/data (Rome IW1, Azores IW3) and ESA's rules: format and reader; burst
IDs shared by each cycle's IW1 and IW2 bursts and by both dates (also when the slave drops its first
burst); IW1 nearer, a ~15 % range overlap, near ranges 3/7 of a sample off; the annotated carrier is
the simulator's (IW1's Rome's) and the data carry it; the truth's regular grid agrees with the
annotations and with the chain's geometry (+ the injected azimuth error, which ESD sees) in both
sub-swaths, whose interferograms agree where they overlap.
"""

import json

import numpy as np
import pytest
import rasterio

from dinsar.errors import ProductError
from dinsar.geometry.tops import burst_carrier
from dinsar.io.annotation import parse_annotation
from dinsar.sensors import bursts as sb
from dinsar.sensors.sentinel1 import UnsupportedProductError, open_product
from dinsar.simulate.mogi import Mogi
from dinsar.simulate.tops import IW_TIMING, IwPairConfig, write_iw_pair
from dinsar.simulate.tops_naming import iw_product_names, product_names
from tests.conftest import AZORES_EOF, AZORES_XML, ROME_SAFE

CYCLE = IW_TIMING["burst_cycle_lines"]
ATI = IW_TIMING["azimuth_time_interval_s"]
FS = IW_TIMING["range_sampling_rate_hz"]
STATIC = {"lon": 55.72, "lat": -21.244, "depth_m": 2500.0, "dvolume_m3": 0.0}
SWATHS = ("IW1", "IW2")
AZORES = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-*.xml"))
ROME = parse_annotation(ROME_XML.read_bytes(), str(ROME_XML))
REAL = {"IW1": ROME, "IW2": AZORES}  # the annotation each simulated sub-swath takes its timing from
LPB = {sw: REAL[sw].lines_per_burst for sw in SWATHS}  # 1501, 1514


def _seconds(dt) -> float:
    return float(dt / np.timedelta64(1, "ns") * 1e-9)


def _open(out, role, swath, **kw):
    return open_product(next((out / role).glob("*.SAFE")), "VV", swath=swath, **kw)


def _valid_windows(real, samples: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The valid lines of a real annotation's second burst (the simulated sub-swath's), and its valid
    samples' fractions of the width at `samples`: ([first, stop) lines, [first, stop) samples)."""
    b = real.bursts[1]
    good = np.flatnonzero(b.first_valid_sample >= 0)
    n = real.samples_per_burst
    first, last = int(b.first_valid_sample[good].max()), int(b.last_valid_sample[good].min())
    near, far = round(samples * first / n), round(samples * (n - 1 - last) / n)
    return (int(good[0]), int(good[-1]) + 1), (near, samples - far)


@pytest.fixture(scope="module")
def iw_pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("iw")
    cfg = IwPairConfig(samples=256, seed=2, orbit_file=str(AZORES_EOF))
    truth = write_iw_pair(out, cfg)
    products = {role: {sw: _open(out, role, sw, modes=("IW",)) for sw in SWATHS} for role in ("master", "slave")}
    return out, cfg, truth, products


def test_reads_as_an_iw_product_of_two_subswaths(iw_pair):
    out, cfg, truth, products = iw_pair
    safe = next((out / "master").glob("*.SAFE"))
    assert sorted(p.name[:7] for p in (safe / "annotation").glob("*.xml")) == ["s1a-iw1", "s1a-iw2"]
    assert sorted(p.name[-8:] for p in (safe / "measurement").glob("*.tiff")) == ["004.tiff", "005.tiff"]
    with pytest.raises(ProductError, match="several swaths"):
        open_product(safe, "VV")
    for sw in SWATHS:
        p = products["master"][sw]
        a = p.annotation
        assert p.manifest.mode == "IW" and p.manifest.swaths == ("IW1", "IW2")
        assert (a.mode, a.swath, a.polarisation) == ("IW", sw, "VV")
        assert p.name.startswith("S1A_IW_SLC__1SDV_20160818T1422")
        assert a.shape == (3 * LPB[sw], 256) and a.lines_per_burst == LPB[sw] and a.samples_per_burst == 256
        assert len(a.bursts) == 3 and len(a.dc_estimates) == 3 and len(a.fm_rates) == 3
        # the same instrument timing in every sub-swath, the real one
        assert a.azimuth_time_interval_s == AZORES.azimuth_time_interval_s == ROME.azimuth_time_interval_s
        assert a.range_sampling_rate_hz == pytest.approx(ROME.range_sampling_rate_hz, rel=1e-12)
        assert a.azimuth_steering_rate_deg_s == REAL[sw].azimuth_steering_rate_deg_s
        assert a.azimuth_processing_bandwidth_hz == pytest.approx(AZORES.azimuth_processing_bandwidth_hz)
        assert 30 < a.incidence_angle_mid_deg < 42
        # the last line's time is the last burst's last line, as in real IW annotations
        assert _seconds(a.last_line_time - a.first_line_time) == pytest.approx((2 * CYCLE + LPB[sw] - 1) * ATI,
                                                                              abs=1e-6)
    # the names the workflow's planner knows from the config alone are the products'
    names = iw_product_names({"size": [256, 256], "seed": 2, "orbit_file": str(AZORES_EOF), "mode": "IW"})
    assert names == tuple(products[role]["IW1"].name for role in ("master", "slave"))
    m1, m2 = (products["master"][sw].annotation for sw in SWATHS)
    # the product runs from IW1's first line (its earliest) to IW2's last (its latest)
    assert products["master"]["IW1"].manifest.start_time == m1.first_line_time < m2.first_line_time
    assert products["master"]["IW1"].manifest.stop_time == m2.last_line_time > m1.last_line_time
    assert len(list((out / "orbits").glob("*.EOF"))) == 2 and (out / "dem.tif").is_file()


def _esa_burst_id(swath: str, sensing: np.datetime64, anx: np.datetime64, track: int) -> int:
    """DAD eq. 9-89/9-91 from the constants of its table 9-7, IW1 moved to its cycle's mid-IW2 time by
    the nominal 0.832 s + half of IW2's 1.078 s."""
    to_mid = {"IW1": 0.832 + 1.078 / 2, "IW2": 1.078 / 2}[swath]
    dt_b = _seconds(sensing - anx) + to_mid + (track - 1) * 12 * 86400 / 175
    return 1 + int(np.floor((dt_b - 2.299849) / 2.758273))


def test_burst_ids_are_shared_by_the_subswaths_of_a_cycle_and_by_both_dates(iw_pair):
    out, cfg, truth, products = iw_pair
    ids = {}
    for role in ("master", "slave"):
        p1, p2 = products[role]["IW1"], products[role]["IW2"]
        b1, b2 = p1.annotation.bursts, p2.annotation.bursts
        for k in range(3):
            # IW1's burst is sensed the nominal 0.832 s before IW2's of its cycle (Rome IW1's sensing -
            # azimuth delay 1.131 s, Azores' 1.137 s: IW1's first line 0.826 s before IW2's)
            assert _seconds(b2[k].sensing_time - b1[k].sensing_time) == pytest.approx(0.832, abs=0.002)
            assert _seconds(b1[k].sensing_time - b1[k].azimuth_time) == pytest.approx(
                _seconds(ROME.bursts[k].sensing_time - ROME.bursts[k].azimuth_time), abs=0.001)
        for sw, p in (("IW1", p1), ("IW2", p2)):
            mine = [_esa_burst_id(sw, b.sensing_time, p.annotation.ascending_node_time, p.manifest.relative_orbit)
                    for b in p.annotation.bursts]
            assert [b.burst_id for b in p.annotation.bursts] == mine  # annotated = ESA's rule
            assert [r.burst_id for r in sb.bursts_of(p)] == mine  # and the chain agrees
            assert np.all(np.diff(mine) == 1)
            ids[role, sw] = mine
            # the bursts sit mid-bin in the beam cycle, as synchronised real bursts do
            for r in sb.bursts_of(p):
                assert abs((r.cycle_time_s - sb.T_PRE_S) % sb.T_BEAM_S - sb.T_BEAM_S / 2) < 0.01
    assert ids["master", "IW1"] == ids["master", "IW2"] == ids["slave", "IW1"] == ids["slave", "IW2"]
    assert ids["master", "IW2"] == truth["swaths"]["IW2"]["master"]["burst_ids"]
    # the two dates' bursts pair by (swath, ID), a few ms apart in the cycle (the slave's sync, 1.7 lines)
    for sw in SWATHS:
        pairs = sb.match(sb.bursts_of(products["master"][sw]), sb.bursts_of(products["slave"][sw]))
        assert len(pairs) == 3
        for rm, rs in pairs:
            assert rs.cycle_time_s - rm.cycle_time_s == pytest.approx(cfg.slave_shift[0] * ATI, abs=2e-6)


def test_subswaths_overlap_in_range_a_fraction_of_a_sample_off(iw_pair):
    out, cfg, truth, products = iw_pair
    for role in ("master", "slave"):
        a1, a2 = (products[role][sw].annotation for sw in SWATHS)
        offset = (a2.slant_range_time_s - a1.slant_range_time_s) * FS  # IW2's column 0 in IW1's columns
        assert offset > 0  # IW1 is the near sub-swath
        assert offset % 1 == pytest.approx(3 / 7, abs=1e-6)  # on the 1/(7 f_s) grid, not a whole sample
        overlap = 256 - offset
        assert 0.10 * 256 < overlap < 0.16 * 256
        assert overlap == pytest.approx(truth["subswath_overlap"]["samples"], abs=1e-6)
        # the valid windows overlap too: a merge can cut the seam inside both
        (_, (_, stop1)), ((_, _), (first2, _)) = _valid_windows(ROME, 256), _valid_windows(AZORES, 256)
        assert offset + first2 < stop1 - 1
        # and in the same geometry as real IW1/IW2: incidence grows from IW1 to IW2
        assert a1.incidence_angle_mid_deg < a2.incidence_angle_mid_deg
    # the slave's near ranges are both 5.7 samples farther: the same fractional offset
    for sw in SWATHS:
        d = products["slave"][sw].annotation.slant_range_time_s - products["master"][sw].annotation.slant_range_time_s
        assert d * FS == pytest.approx(cfg.slave_shift[1], abs=1e-6)


def test_valid_samples_and_byte_offsets(iw_pair):
    out, cfg, truth, products = iw_pair
    for sw in SWATHS:
        p = products["master"][sw]
        lines, samples = _valid_windows(REAL[sw], 256)  # IW1: Rome's, IW2: Azores'
        sim = truth["swaths"][sw]
        assert tuple(sim["valid_lines"]) == lines and tuple(sim["valid_samples"]) == samples
        for k, r in enumerate(sb.bursts_of(p)):
            assert (r.first_line, r.lines) == (k * LPB[sw], LPB[sw])
            assert r.valid_lines == lines and r.valid_samples == samples
        data, (first, stop), (c0, c1) = p.read(), lines, samples
        for k in range(3):
            b = data[k * LPB[sw]:(k + 1) * LPB[sw]]
            assert not b[:first].any() and not b[stop:].any() and not b[:, :c0].any() and not b[:, c1:].any()
            assert np.mean(b[first:stop, c0:c1] != 0) > 0.99
        # byteOffset points at each burst's first line of the (uncompressed, line-striped) TIFF
        blob = next((next((out / "master").glob("*.SAFE")) / "measurement").glob(f"*-{sw.lower()}-*")).read_bytes()
        for k, b in enumerate(p.annotation.bursts):
            at = b.byte_offset + 4 * (first * 256 + c0)
            assert complex(*np.frombuffer(blob[at:at + 4], dtype="<i2")) == data[k * LPB[sw] + first, c0]


def test_bursts_overlap_like_real_ones(iw_pair):
    """Consecutive bursts start 1342 lines apart in both sub-swaths: IW2's 1514-line bursts share 172 lines
    (121 valid in both), IW1's 1501-line ones 159 (120 valid), as in the real IW3 and IW1 annotations."""
    out, cfg, truth, products = iw_pair
    for sw, shared, valid in (("IW1", 159, 120), ("IW2", 172, 121)):
        real = REAL[sw]
        real_step = np.median(np.diff([_seconds(b.azimuth_time - real.bursts[0].azimuth_time)
                                       for b in real.bursts]))
        assert real.lines_per_burst - real_step / real.azimuth_time_interval_s == pytest.approx(shared, abs=0.02)
        overlap = truth["swaths"][sw]["overlap"]
        assert overlap["lines"] == shared and overlap["valid_lines"] == valid
        for role in ("master", "slave"):
            t = [b.azimuth_time for b in products[role][sw].annotation.bursts]
            np.testing.assert_allclose([_seconds(d) for d in np.diff(t)], CYCLE * ATI, atol=1e-6)
        # master and slave bursts of the same ID cover the same time within the burst synchronisation
        for bm, bs in zip(products["master"][sw].annotation.bursts, products["slave"][sw].annotation.bursts,
                          strict=True):
            assert _seconds(bs.azimuth_time - bm.azimuth_time) % 86400 == pytest.approx(cfg.slave_shift[0] * ATI,
                                                                                         abs=1e-6)


def test_annotation_carrier_is_the_simulators(iw_pair):
    out, cfg, truth, products = iw_pair
    for sw in SWATHS:
        for role in ("master", "slave"):
            product = products[role][sw]
            a = product.annotation
            for k, sim in enumerate(truth["swaths"][sw][role]["carrier"]):
                np.testing.assert_allclose(a.dc_estimates[k].data_poly, sim["dc_poly"], rtol=1e-8)
                np.testing.assert_allclose(a.fm_rates[k].poly, sim["fm_poly"], rtol=1e-8)
                assert a.dc_estimates[k].t0 == a.fm_rates[k].t0 == sim["dc_t0"] == a.slant_range_time_s
                if sw == "IW1":  # Rome's own Doppler centroid and FM rate polynomials
                    np.testing.assert_allclose(a.dc_estimates[k].data_poly, ROME.dc_estimates[k].data_poly, rtol=1e-9)
                    np.testing.assert_allclose(a.fm_rates[k].poly, ROME.fm_rates[k].poly, rtol=1e-9)
                # the chain's own carrier model (dinsar.geometry.tops) reads the same k_t, η_ref, f_ηc
                c = burst_carrier(product, None, k)
                mid = cfg.samples // 2
                assert c.kt[mid] == pytest.approx(sim["kt_hz_s_mid_swath"], rel=1e-6)
                assert c.fdc[mid] == pytest.approx(sim["fdc_hz_mid_swath"], rel=1e-9)
                assert c.eta_ref[mid] == pytest.approx(sim["eta_ref_s_mid_swath"], rel=1e-6, abs=1e-10)
                assert 1400 < sim["kt_hz_s_mid_swath"] < 1900 and -2400 < sim["ka_hz_s_mid_swath"] < -2000
    # IW1 steers faster (Rome's 1.59 °/s against IW3's 1.40 °/s): its bursts sweep faster
    assert truth["swaths"]["IW1"]["master"]["carrier"][0]["kt_hz_s_mid_swath"] > \
        truth["swaths"]["IW2"]["master"]["carrier"][0]["kt_hz_s_mid_swath"] + 100


def test_data_carry_the_carrier(iw_pair):
    """Lag-one azimuth correlation over blocks of 32 valid lines: its phase is 2π f Δt, f the block's
    Doppler centroid; unwrapped along the burst it grows at 2π k_t Δt per second of η (within 3 %). (IW1's
    centroid moves ~230 Hz in 64 lines, a lag-one phase step of 3.0 rad: too close to π to unwrap.)"""
    out, cfg, truth, products = iw_pair
    for sw in SWATHS:
        data = products["master"][sw].read().astype(np.complex128)
        lpb = LPB[sw]
        first, stop = truth["swaths"][sw]["valid_lines"]
        for k, sim in enumerate(truth["swaths"][sw]["master"]["carrier"]):
            b = data[k * lpb:(k + 1) * lpb]
            starts = np.arange(first, stop - 32, 32)
            phase = np.unwrap([np.angle(np.sum(b[j + 1:j + 32] * np.conj(b[j:j + 31]))) for j in starts])
            eta = (starts + 16 - lpb / 2) * ATI  # lag-one pairs' centre (j + 15.5 + 0.5) from mid burst
            slope, intercept = np.polyfit(eta, phase, 1)
            assert slope / (2 * np.pi * ATI) == pytest.approx(sim["kt_hz_s_mid_swath"], rel=0.03)
            # at η_ref the centroid is f_ηc, modulo the line rate
            f_ref, prf = (intercept + slope * sim["eta_ref_s_mid_swath"]) / (2 * np.pi * ATI), 1 / ATI
            assert abs((f_ref - sim["fdc_hz_mid_swath"] + prf / 2) % prf - prf / 2) < 15.0


GRID_TAGS = ("FIRST_LINE_TIME", "LINE_INTERVAL_S", "NEAR_RANGE_TIME_S", "RANGE_SAMPLING_RATE_HZ")


def _grid(out):
    with rasterio.open(out / "truth" / "los_displacement.tif") as src:
        tags, shape = src.tags(), src.shape
    return (np.datetime64(tags["FIRST_LINE_TIME"], "ns"), float(tags["LINE_INTERVAL_S"]),
            float(tags["NEAR_RANGE_TIME_S"]), float(tags["RANGE_SAMPLING_RATE_HZ"]), shape)


def test_truth_is_on_one_regular_grid_over_both_subswaths(iw_pair):
    out, cfg, truth, products = iw_pair
    assert {p.name for p in (out / "truth").iterdir()} == set(truth["truth_files"]) | {"truth.json"}
    assert json.loads((out / "truth" / "truth.json").read_text())["slave"] == products["slave"]["IW1"].name + ".SAFE"
    t0, dt, tau0, fs, shape = _grid(out)
    for name in ("los_displacement.tif", "height.tif", "coherence.tif", "offsets.tif"):
        with rasterio.open(out / "truth" / name) as src:
            assert all(k in src.tags() for k in GRID_TAGS) and src.shape == shape
            assert {k: src.tags()[k] for k in GRID_TAGS} == {k: str(truth["grid"][k]) for k in GRID_TAGS}
    assert shape == (truth["grid"]["lines"], truth["grid"]["samples"])
    m1, m2 = (products["master"][sw].annotation for sw in SWATHS)
    # the grid is the master's IW1 grid: its first line and near range, IW's line interval and sampling
    assert t0 == m1.first_line_time and tau0 == m1.slant_range_time_s
    assert dt == m1.azimuth_time_interval_s == m2.azimuth_time_interval_s and fs == m1.range_sampling_rate_hz
    # and it holds every line and column of both sub-swaths, IW2's a fraction off its nodes
    for a in (m1, m2):
        first_line = _seconds(a.first_line_time - t0) / dt
        last_line = _seconds(a.last_line_time - t0) / dt
        first_col = (a.slant_range_time_s - tau0) * fs
        assert 0 <= first_line and last_line <= shape[0] - 1
        assert 0 <= first_col and first_col + a.number_of_samples - 1 <= shape[1] - 1
    assert (m2.slant_range_time_s - tau0) * fs % 1 == pytest.approx(3 / 7, abs=1e-6)
    assert shape[1] < 2 * 256  # one grid, the overlap counted once
    assert truth["los_max_m"] > 0.01  # the Mogi source moves the ground toward the sensor


def _bilinear(a: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    wy, wx = y - y0, x - x0
    y1, x1 = np.minimum(y0 + 1, a.shape[-2] - 1), np.minimum(x0 + 1, a.shape[-1] - 1)
    return ((1 - wy) * ((1 - wx) * a[..., y0, x0] + wx * a[..., y0, x1])
            + wy * ((1 - wx) * a[..., y1, x0] + wx * a[..., y1, x1]))


def test_truth_offsets_are_geometry_plus_the_injected_error(iw_pair):
    """In both sub-swaths: each master pixel's place on the truth grid (from its annotation: burst time,
    near range), the truth there, and the chain's geometry: truth offsets (line) - injected error = the
    chain's geo2rdr of the pixel's ground point in the slave (< 1e-3 lines, < 1 mm in range)."""
    out, cfg, truth, products = iw_pair
    assert truth["injected_azimuth_error"]["lines"] == cfg.azimuth_error_lines == 0.025
    t0, dt, tau0, fs, _ = _grid(out)
    with rasterio.open(out / "truth" / "height.tif") as h, rasterio.open(out / "truth" / "offsets.tif") as o:
        height, offsets = h.read(1).astype(np.float64), o.read().astype(np.float64)
    for sw in SWATHS:
        master, slave = products["master"][sw], products["slave"][sw]
        a = master.annotation
        lpb = LPB[sw]
        stacked, cc = np.mgrid[0:3 * lpb:97, 0:256:23]
        burst = stacked // lpb
        # where each pixel lies: its burst's first line time and the sub-swath's near range
        burst_t = np.array([_seconds(b.azimuth_time - t0) for b in a.bursts])[burst]
        y = burst_t / dt + stacked % lpb  # truth grid line
        x = (a.slant_range_time_s - tau0) * fs + cc  # truth grid column
        with rasterio.open(out / "truth" / f"offsets_{sw.lower()}.tif") as f:
            on_swath = f.read().astype(np.float64)[:, stacked, cc]
        off = _bilinear(offsets, y, x)
        ok = np.isfinite(off[0])
        assert ok.mean() > 0.95
        np.testing.assert_allclose(on_swath[:, ok], off[:, ok], atol=2e-4)
        continuous = burst * CYCLE + stacked % lpb  # time in lines from the first burst's first line
        lon, lat, hh = master.rdr2geo(continuous, cc, _bilinear(height, y, x))
        # the slave sees the ground moved by the Mogi source (local east/north/up metres to degrees)
        enu = Mogi(**truth["mogi"]).enu(lon, lat)
        ls, cs = slave.geo2rdr(lon + enu[..., 0] / (111_320.0 * np.cos(np.radians(truth["mogi"]["lat"]))),
                               lat + enu[..., 1] / 110_574.0, hh + enu[..., 2])
        assert np.abs((ls - (continuous + off[0] - cfg.azimuth_error_lines))[ok]).max() < 1e-3
        assert np.abs((cs - (cc + off[1]))[ok]).max() / fs * 3e8 / 2 < 1e-3


def _coregistered_interferogram(out, truth, sw: str, k: int, edge: int = 8, far_edge: int = 4):
    """Burst k of sub-swath sw: master · conj(slave resampled at the truth's positions, offsets_<sw>.tif)
    over its valid lines and columns less `edge` (`far_edge` at far range: the slave's columns are 5.7
    samples nearer, the resampling stencil stays inside), with those lines (in the burst) and columns."""
    from dinsar.interferometry.tops_resample import resample_burst, slave_window

    mp, sp = _open(out, "master", sw), _open(out, "slave", sw)
    lpb = mp.annotation.lines_per_burst
    with rasterio.open(out / "truth" / f"offsets_{sw.lower()}.tif") as f:
        off = f.read().astype(np.float64)
    (first, stop), (c0, c1) = truth["swaths"][sw]["valid_lines"], truth["swaths"][sw]["valid_samples"]
    lines, cols = np.arange(k * lpb + first + edge, k * lpb + stop - edge), np.arange(c0 + edge, c1 - far_edge)
    y, x = lines[:, None] + off[0][lines][:, cols], cols[None, :] + off[1][lines][:, cols]
    c = burst_carrier(sp, None, k)
    lo, hi = slave_window(y, c)
    s = resample_burst(sp.read()[lo:hi], lo, c, y, x, ATI)
    return mp.read()[lines][:, cols].astype(np.complex128) * np.conj(s), lines - k * lpb, cols, mp.annotation


def test_the_subswaths_interferograms_agree_where_they_overlap(tmp_path):
    """One scene seen twice: in the range overlap (and the time both bursts of a cycle cover), IW1's and
    IW2's coregistered interferograms show the same phase at the same (time, range), IW2's taken at IW1's
    pixels across the fractional offsets (0.43 sample, 402.0002 lines). Measured on a 768-sample pair:
    the phase runs over 2.3 rad across the 37 common columns, the two agree to 4e-3 rad on average (IW2's
    nearest column instead of the interpolated one: 0.024 rad) and their 16 × 4-look phases differ by
    the noise alone (std 0.105 rad)."""
    cfg = IwPairConfig(samples=768, bursts=1, seed=6, orbit_file=str(AZORES_EOF))
    truth = write_iw_pair(tmp_path, cfg)
    (a, la, ca, ann1), (b, lb, cb, ann2) = (_coregistered_interferogram(tmp_path, truth, sw, 0) for sw in SWATHS)
    dl = _seconds(ann1.bursts[0].azimuth_time - ann2.bursts[0].azimuth_time) / ATI  # IW2 line of IW1 line 0
    dc = (ann1.slant_range_time_s - ann2.slant_range_time_s) * FS  # IW2 column of IW1 column 0
    assert dl == pytest.approx(-402.0002, abs=1e-4) and dc % 1 == pytest.approx(4 / 7, abs=1e-6)
    rows, cols = (la + dl >= lb[0]) & (la + dl < lb[-1]), (ca + dc >= cb[0]) & (ca + dc < cb[-1])
    assert rows.sum() > 900 and cols.sum() > 30
    b_at_a = _bilinear(b, *np.meshgrid(la[rows] + dl - lb[0], ca[cols] + dc - cb[0], indexing="ij"))
    a = a[rows][:, cols]
    h, w = a.shape[0] // 16 * 16, a.shape[1] // 4 * 4

    def looks(z):  # 16 × 4 looks
        return z[:h, :w].reshape(h // 16, 16, w // 4, 4).sum(axis=(1, 3))

    assert np.ptp(np.unwrap(np.angle(looks(a).sum(axis=0)))) > 1.0  # the fringes cross the overlap
    assert abs(np.angle(np.sum(a * np.conj(b_at_a)))) < 0.01
    assert np.std(np.angle(looks(a) * np.conj(looks(b_at_a)))) < 0.2


def test_slave_without_its_first_burst_and_the_overlaps_show_the_injected_error(tmp_path):
    """The slave leaves its first burst out: two bursts per sub-swath, matched by ID to the master's
    second and third. No baseline, no shift, no motion: the slave differs from the master by δ = 0.025
    lines only. In a burst overlap the two bursts' interferograms differ by 2π Δf δ Δt, Δf = k_t · cycle
    the Doppler step between bursts (~4.5 kHz in IW2, ~5 kHz in IW1): the spectral-diversity signal,
    the same δ in both sub-swaths (within 3 %)."""
    cfg = IwPairConfig(samples=128, bursts=3, seed=4, baseline_m=0.0, slave_shift=(0.0, 0.0), mogi=STATIC,
                       orbit_file=str(AZORES_EOF), slave_skip_first_bursts=1)
    truth = write_iw_pair(tmp_path, cfg)
    for sw in SWATHS:
        mp, sp = _open(tmp_path, "master", sw), _open(tmp_path, "slave", sw)
        lpb = LPB[sw]
        assert len(mp.annotation.bursts) == 3 and len(sp.annotation.bursts) == 2
        assert sp.shape == (2 * lpb, 128)
        assert sp.name == product_names(cfg)[1]  # the planner's name, one burst cycle later
        refs_m, refs_s = sb.bursts_of(mp), sb.bursts_of(sp)
        assert [r.burst_id for r in refs_s] == [r.burst_id for r in refs_m[1:]]
        pairs = sb.match(refs_m, refs_s)
        assert [(rm.index, rs.index) for rm, rs in pairs] == [(1, 0), (2, 1)]
        # the slave product starts at its first burst kept
        assert sp.annotation.first_line_time == sp.annotation.bursts[0].azimuth_time
        assert _seconds(sp.annotation.first_line_time - mp.annotation.bursts[1].azimuth_time) % 86400 == \
            pytest.approx(0.0, abs=1e-6)
        m, s = mp.read().astype(np.complex128), sp.read().astype(np.complex128)
        first, stop = truth["swaths"][sw]["valid_lines"]
        # master bursts 1, 2 against slave bursts 0, 1 (the same IDs)
        ifg0 = (m[lpb:2 * lpb] * np.conj(s[:lpb]))[CYCLE + first:stop]
        ifg1 = (m[2 * lpb:] * np.conj(s[lpb:]))[first:stop - CYCLE]
        esd = np.angle(np.sum(ifg0 * np.conj(ifg1)))
        delta_f = truth["swaths"][sw]["master"]["carrier"][1]["kt_hz_s_mid_swath"] * CYCLE * ATI
        assert esd == pytest.approx(2 * np.pi * delta_f * cfg.azimuth_error_lines * ATI, rel=0.03)
        # outside the overlaps the burst's interferogram is flat (its mean phase is the carrier's
        # 2π f δ Δt averaged over the burst's Doppler sweep, ~0)
        ifg = m[lpb + first:lpb + stop] * np.conj(s[first:stop])
        assert abs(np.angle(np.sum(ifg))) < 0.1
    assert truth["slave_skip_first_bursts"] == 1
    assert truth["swaths"]["IW1"]["slave"]["bursts"] == [1, 2]


def test_dinsar_simulate_mode_iw_writes_a_pair_the_stripmap_chain_refuses(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from dinsar.steps.common import open_chain_product

    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "simulate", "--mode", "IW", "--out", str(tmp_path),
                          "--size", "256x256"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    master = Path(run.stdout.splitlines()[0])
    assert master.is_dir() and master.name.startswith("S1A_IW_SLC__") and master.suffix == ".SAFE"
    assert "two sub-swaths" in run.stdout
    assert len(list((master / "measurement").glob("*.tiff"))) == 2
    with pytest.raises(UnsupportedProductError, match="IW product"):
        open_chain_product(master, "VV")
