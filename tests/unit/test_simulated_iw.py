"""The simulated IW TOPS pair (dinsar.simulate.tops): real format, real burst timing, the carrier in the data.

Checks of issue 18 item 7 (first version: one sub-swath, three bursts):
- the SAFE opens with the chain's reader; bursts, IDs and valid samples are as configured, and the
  master's and slave's bursts match by ID a few ms apart in the cycle, overlapping as real ones do;
- the annotation's carrier parameters are the simulator's, and the chain's carrier model reads the
  same k_t, η_ref from them;
- the data carry the carrier: the local Doppler centroid sweeps at k_t (within 3 %) in every burst;
- the truth is consistent: slave offsets = the chain's geometry + the injected azimuth error, which
  the burst overlaps show as the spectral-diversity phase 2π Δf δ Δt.
"""

import json

import numpy as np
import pytest
import rasterio

from dinsar.geometry.tops import burst_carrier
from dinsar.sensors import bursts as sb
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate.mogi import Mogi
from dinsar.simulate.tops import IW_TIMING, IwPairConfig, write_iw_pair
from tests.conftest import AZORES_EOF, AZORES_XML

LPB, CYCLE = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
ATI = IW_TIMING["azimuth_time_interval_s"]
STATIC = {"lon": 55.72, "lat": -21.244, "depth_m": 2500.0, "dvolume_m3": 0.0}


@pytest.fixture(scope="module")
def iw_pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("iw")
    cfg = IwPairConfig(samples=256, seed=2, orbit_file=str(AZORES_EOF))
    truth = write_iw_pair(out, cfg)
    master = open_product(next((out / "master").glob("*.SAFE")), "VV", swath="IW2")
    slave = open_product(next((out / "slave").glob("*.SAFE")), "VV", swath="IW2")
    return out, cfg, truth, master, slave


def test_reads_as_an_iw_product(iw_pair):
    out, cfg, truth, master, slave = iw_pair
    a = master.annotation
    assert master.manifest.mode == "IW" and master.manifest.swaths == ("IW2",)
    assert (a.mode, a.swath, a.polarisation) == ("IW", "IW2", "VV")
    assert master.name.startswith("S1A_IW_SLC__1SDV_20160818T1422")
    assert a.shape == (3 * LPB, 256) and a.lines_per_burst == LPB and a.samples_per_burst == 256
    assert len(a.bursts) == 3 and len(a.dc_estimates) == 3 and len(a.fm_rates) == 3
    assert a.azimuth_time_interval_s == ATI
    # the last line's time is the last burst's last line, as in real IW annotations
    span = (a.last_line_time - a.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    assert span == pytest.approx((2 * CYCLE + LPB - 1) * ATI, abs=1e-6)
    assert len(list((out / "orbits").glob("*.EOF"))) == 2 and (out / "dem.tif").is_file()
    # the same kinds of values as the real IW3 annotation
    from dinsar.io.annotation import parse_annotation

    real = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    assert real.azimuth_time_interval_s == a.azimuth_time_interval_s
    assert a.azimuth_steering_rate_deg_s == real.azimuth_steering_rate_deg_s
    assert a.azimuth_processing_bandwidth_hz == pytest.approx(real.azimuth_processing_bandwidth_hz)
    assert 30 < a.incidence_angle_mid_deg < 42


def test_bursts_ids_and_valid_samples(iw_pair):
    out, cfg, truth, master, slave = iw_pair
    refs_m, refs_s = sb.bursts_of(master), sb.bursts_of(slave)
    ids = [r.burst_id for r in refs_m]
    assert ids == [c["burst_id"] for c in truth["carrier"]["master"]] and np.all(np.diff(ids) == 1)
    assert [b.burst_id for b in master.annotation.bursts] == ids  # annotated (IPF >= 3.40) and computed agree
    for k, r in enumerate(refs_m):
        assert (r.first_line, r.lines) == (k * LPB, LPB)
        assert r.valid_lines == tuple(IW_TIMING["valid_lines"]) == tuple(truth["valid_lines"])
        assert r.valid_samples == tuple(truth["valid_samples"]) == (3, 254)  # Azores' invalid fractions
        # the bursts sit mid-bin in the beam cycle, as synchronised real bursts do
        assert abs((r.cycle_time_s - sb.T_PRE_S) % sb.T_BEAM_S - sb.T_BEAM_S / 2) < 0.01
    # the two dates' bursts pair by ID, a few ms apart in the cycle (the slave's burst sync, 1.7 lines)
    pairs = sb.match(refs_m, refs_s)
    assert len(pairs) == 3
    for rm, rs in pairs:
        assert rs.cycle_time_s - rm.cycle_time_s == pytest.approx(cfg.slave_shift[0] * ATI, abs=2e-6)
    # invalid lines and samples are zero in the measurement, valid ones are not
    data = master.read()
    first, stop = truth["valid_lines"]
    c0, c1 = truth["valid_samples"]
    for k in range(3):
        b = data[k * LPB:(k + 1) * LPB]
        assert not b[:first].any() and not b[stop:].any() and not b[:, :c0].any() and not b[:, c1:].any()
        assert np.mean(b[first:stop, c0:c1] != 0) > 0.99
    # byteOffset points at each burst's first line of the (uncompressed, line-striped) TIFF
    raw = (next((out / "master").glob("*.SAFE")) / "measurement").glob("*.tiff")
    blob = next(raw).read_bytes()
    for k, b in enumerate(master.annotation.bursts):
        at = b.byte_offset + 4 * (first * 256 + c0)
        re_im = np.frombuffer(blob[at:at + 4], dtype="<i2")
        assert complex(*re_im) == data[k * LPB + first, c0]


def test_bursts_overlap_like_real_ones(iw_pair):
    """Consecutive bursts start 1342 lines apart and last 1514: 172 lines (11 %) shared, 121 of them valid
    in both (8 %), as in the Azores IW3 annotation (whose bursts are Sentinel-1's)."""
    out, cfg, truth, master, slave = iw_pair
    for product in (master, slave):
        t = np.array([b.azimuth_time for b in product.annotation.bursts])
        step = np.diff(t) / np.timedelta64(1, "ns") * 1e-9
        np.testing.assert_allclose(step, CYCLE * ATI, atol=1e-6)
    assert truth["overlap"]["lines"] == 172 and truth["overlap"]["valid_lines"] == 121
    assert 0.07 < truth["overlap"]["valid_fraction_of_burst"] < 0.10
    from dinsar.io.annotation import parse_annotation

    real = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    real_step = np.median(np.diff([b.azimuth_time for b in real.bursts]) / np.timedelta64(1, "ns") * 1e-9)
    assert real.lines_per_burst - real_step / real.azimuth_time_interval_s == pytest.approx(172, abs=0.01)
    # master and slave bursts of the same ID cover the same time within the burst synchronisation
    for bm, bs in zip(master.annotation.bursts, slave.annotation.bursts, strict=True):
        dt = ((bs.azimuth_time - bm.azimuth_time) / np.timedelta64(1, "ns") * 1e-9) % 86400
        assert dt == pytest.approx(cfg.slave_shift[0] * ATI, abs=1e-6)


def test_annotation_carrier_is_the_simulators(iw_pair):
    out, cfg, truth, master, slave = iw_pair
    for role, product in (("master", master), ("slave", slave)):
        a = product.annotation
        for k, sim in enumerate(truth["carrier"][role]):
            np.testing.assert_allclose(a.dc_estimates[k].data_poly, sim["dc_poly"], rtol=1e-8)
            np.testing.assert_allclose(a.fm_rates[k].poly, sim["fm_poly"], rtol=1e-8)
            assert a.dc_estimates[k].t0 == a.fm_rates[k].t0 == sim["dc_t0"] == a.slant_range_time_s
            # the chain's own carrier model (dinsar.geometry.tops) reads the same k_t, η_ref, f_ηc
            c = burst_carrier(product, None, k)
            mid = cfg.samples // 2
            assert c.kt[mid] == pytest.approx(sim["kt_hz_s_mid_swath"], rel=1e-6)
            assert c.fdc[mid] == pytest.approx(sim["fdc_hz_mid_swath"], rel=1e-9)
            assert c.eta_ref[mid] == pytest.approx(sim["eta_ref_s_mid_swath"], rel=1e-6, abs=1e-10)
            assert 1400 < sim["kt_hz_s_mid_swath"] < 1800 and -2300 < sim["ka_hz_s_mid_swath"] < -2000


def test_data_carry_the_carrier(iw_pair):
    """Lag-one azimuth correlation over blocks of 64 valid lines: its phase is 2π f Δt, f the block's
    Doppler centroid; unwrapped along the burst it grows at 2π k_t Δt per second of η (within 3 %)."""
    out, cfg, truth, master, slave = iw_pair
    data = master.read().astype(np.complex128)
    first, stop = truth["valid_lines"]
    for k, sim in enumerate(truth["carrier"]["master"]):
        b = data[k * LPB:(k + 1) * LPB]
        starts = np.arange(first, stop - 64, 64)
        phase = np.unwrap([np.angle(np.sum(b[j + 1:j + 64] * np.conj(b[j:j + 63]))) for j in starts])
        eta = (starts + 32 - LPB / 2) * ATI  # lag-one pairs' centre (j + 31.5 + 0.5) from mid burst
        slope, intercept = np.polyfit(eta, phase, 1)
        kt = slope / (2 * np.pi * ATI)
        assert kt == pytest.approx(sim["kt_hz_s_mid_swath"], rel=0.03)
        # at η_ref the centroid is f_ηc, modulo the line rate
        f_ref = (intercept + slope * sim["eta_ref_s_mid_swath"]) / (2 * np.pi * ATI)
        prf = 1 / ATI
        assert abs((f_ref - sim["fdc_hz_mid_swath"] + prf / 2) % prf - prf / 2) < 15.0


def test_truth_offsets_are_geometry_plus_the_injected_error(iw_pair):
    """truth offsets (line) - injected error = the chain's geo2rdr of each master pixel's ground point in
    the slave (< 1e-3 lines, < 1 mm in range): the error is what geometry cannot see."""
    out, cfg, truth, master, slave = iw_pair
    assert truth["injected_azimuth_error"]["lines"] == cfg.azimuth_error_lines == 0.025
    assert truth["injected_azimuth_error"]["seconds"] == pytest.approx(0.025 * ATI)
    for name in ("los_displacement.tif", "offsets.tif", "coherence.tif", "height.tif", "truth.json"):
        assert (out / "truth" / name).is_file()
    assert json.loads((out / "truth" / "truth.json").read_text())["slave"] == slave.name + ".SAFE"
    with rasterio.open(out / "truth" / "height.tif") as h, rasterio.open(out / "truth" / "offsets.tif") as o:
        height, offsets = h.read(1), o.read()
        assert h.shape == master.shape
    with rasterio.open(out / "truth" / "los_displacement.tif") as src:
        los = src.read(1)
    # the overlap's pixels appear in both bursts with one truth
    np.testing.assert_array_equal(los[CYCLE:LPB], los[LPB:LPB + LPB - CYCLE])
    assert truth["los_max_m"] > 0.01  # the Mogi source moves the middle burst toward the sensor
    stacked, cc = np.mgrid[0:3 * LPB:97, 0:256:23]
    burst = stacked // LPB
    continuous = burst * CYCLE + stacked % LPB  # time in lines from the first burst's first line
    lon, lat, hh = master.rdr2geo(continuous, cc, height[stacked, cc])
    # the slave sees the ground moved by the Mogi source (local east/north/up metres to degrees)
    enu = Mogi(**truth["mogi"]).enu(lon, lat)
    ls, cs = slave.geo2rdr(lon + enu[..., 0] / (111_320.0 * np.cos(np.radians(truth["mogi"]["lat"]))),
                           lat + enu[..., 1] / 110_574.0, hh + enu[..., 2])
    line_truth = continuous + offsets[0][stacked, cc] - cfg.azimuth_error_lines
    col_truth = cc + offsets[1][stacked, cc]
    ok = np.isfinite(line_truth)
    assert ok.mean() > 0.95
    assert np.abs((ls - line_truth)[ok]).max() < 1e-3
    assert np.abs((cs - col_truth)[ok]).max() / slave.annotation.range_sampling_rate_hz * 3e8 / 2 < 1e-3


def test_burst_overlaps_show_the_injected_error(tmp_path):
    """No baseline, no shift, no motion: the slave differs from the master by δ = 0.025 lines only. In a
    burst overlap the two bursts' interferograms differ by 2π Δf δ Δt, Δf = k_t · cycle the Doppler
    step between bursts (~4.5 kHz): the spectral-diversity signal, ~1.45 rad here (within 3 %)."""
    cfg = IwPairConfig(samples=128, bursts=2, seed=4, baseline_m=0.0, slave_shift=(0.0, 0.0), mogi=STATIC,
                       orbit_file=str(AZORES_EOF))
    truth = write_iw_pair(tmp_path, cfg)
    m = open_product(next((tmp_path / "master").glob("*.SAFE")), "VV").read().astype(np.complex128)
    s = open_product(next((tmp_path / "slave").glob("*.SAFE")), "VV").read().astype(np.complex128)
    first, stop = truth["valid_lines"]
    ifg0 = (m[:LPB] * np.conj(s[:LPB]))[CYCLE + first:stop]
    ifg1 = (m[LPB:] * np.conj(s[LPB:]))[first:stop - CYCLE]
    esd = np.angle(np.sum(ifg0 * np.conj(ifg1)))
    delta_f = truth["carrier"]["master"][0]["kt_hz_s_mid_swath"] * CYCLE * ATI
    assert esd == pytest.approx(2 * np.pi * delta_f * cfg.azimuth_error_lines * ATI, rel=0.03)
    # outside the overlaps the burst's interferogram is flat (its mean phase is the carrier's
    # 2π f δ Δt averaged over the burst's Doppler sweep, ~0)
    ifg = m[first:stop] * np.conj(s[first:stop])
    assert abs(np.angle(np.sum(ifg))) < 0.1


def test_dinsar_simulate_mode_iw_writes_a_pair_the_stripmap_chain_refuses(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from dinsar.sensors.sentinel1 import UnsupportedProductError
    from dinsar.steps.common import open_chain_product

    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "simulate", "--mode", "IW", "--out", str(tmp_path),
                          "--size", "256x256"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    master = Path(run.stdout.splitlines()[0])
    assert master.is_dir() and master.name.startswith("S1A_IW_SLC__") and master.suffix == ".SAFE"
    with pytest.raises(UnsupportedProductError, match="IW product"):
        open_chain_product(master, "VV")
