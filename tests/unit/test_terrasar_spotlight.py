"""TerraSAR-X SpotLight SSC: the reader (dinsar.sensors.terrasar) against the SL pair simulator
(dinsar.simulate.terrasar_pair, mode "SL").

The references are the simulator's: the XML it wrote, read here with ElementTree by its path in DLR's Level
1b specification, and its own centroid (truth.json's `spotlight`, evaluated with its centroid_hz /
sweep_hz_s). The carrier is checked on the samples too: the local azimuth spectrum centre, measured by the
phase of the line-to-line autocorrelation over blocks of lines, sweeps by ~k × duration in the raw image and
sits at ~0 Hz once the image is deramped with the reader's `azimuth_carrier`.
"""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from dinsar.errors import ProductError
from dinsar.geometry.spotlight import SpotlightCarrier
from dinsar.sensors import terrasar
from dinsar.simulate.config import PairConfig
from dinsar.simulate.terrasar_pair import SWEEP_SPAN_OF_LINE_RATE, centroid_hz, sweep_hz_s, write_terrasar_pair
from dinsar.simulate.terrasar_scene import SL_PRF_HZ, SL_RSF_HZ

C = 299_792_458.0
SIZE = (256, 256)
BLOCK = 48  # lines per spectrum-centre estimate: the image's start, middle and end


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("tsx_sl")
    return out, write_terrasar_pair(out, PairConfig(size=SIZE, seed=4), mode="SL")


def _folder(out: Path, role: str) -> Path:
    (f,) = (out / role).iterdir()
    return f


def _xml(folder: Path) -> ET.Element:
    return ET.parse(folder / f"{folder.name}.xml").getroot()


def _utc(text: str) -> np.datetime64:
    return np.datetime64(text.rstrip("Z"), "ns")


@pytest.mark.parametrize("role", ["master", "slave"])
def test_spotlight_fields_are_the_xml_and_the_simulators(pair, role):
    out, truth = pair
    folder = _folder(out, role)
    p = terrasar.open_product(folder)
    x = _xml(folder)
    c = truth["spotlight"][role]
    assert folder.name.startswith("TSX1_SAR__SSC______SL_S_SRA_") and truth["mode"] == "SL"
    assert p.mode == x.find("productInfo/acquisitionInfo/imagingMode").text == "SL"
    assert p.imaging_mode == "SpotLight" and p.is_spotlight and p.bursts == ()
    assert p.swath == "spot_042" and p.cos_path.name == "IMAGE_HH_SRA_spot_042.cos"
    # SL's 150 MHz chirp sampling and 6500 Hz lines: 0.91 m slant range, ~1.1 m along track
    g = p.radar_grid
    assert g.range_sampling_rate_hz == pytest.approx(SL_RSF_HZ, rel=1e-15)
    assert p.range_pixel_spacing_m == pytest.approx(0.9094, abs=1e-4)
    assert g.line_interval_s == 1.0 / SL_PRF_HZ and 1.0 < p.azimuth_pixel_spacing_m < 1.2
    # the dopplerEstimate records as written: timeUTC and combinedDoppler (referencePoint, exponent k)
    records = x.findall("processing/doppler/dopplerCentroid/dopplerEstimate")
    assert x.find("processing/doppler/dopplerCentroidCoordinateType").text == "RAW"
    assert len(p.meta.doppler_estimates) == len(records) == 5 and p.meta.doppler_times_raw
    tau = g.near_range_time_s + np.array([0.0, 101.0, SIZE[1] - 1.0]) / g.range_sampling_rate_hz
    rate = x.find("processing/geometry/dopplerRate/dopplerRatePolynomial")
    for e, est in zip(records, p.meta.doppler_estimates, strict=True):
        poly = e.find("combinedDoppler")
        ref = float(poly.find("referencePoint").text)
        coef = {int(k.get("exponent")): float(k.text) for k in poly.findall("coefficient")}
        assert est.azimuth_time == _utc(e.find("timeUTC").text) and est.t0 == ref
        assert int(poly.find("polynomialDegree").text) == len(coef) - 1 == 3
        f = sum(v * (tau - ref) ** k for k, v in coef.items())
        np.testing.assert_allclose(est(tau), f, rtol=1e-12)
        # a RAW record's samples sit at the zero-Doppler time t - f_dc / f_rate of their own range, where the
        # simulator's centroid is what the record says (to the simulator's degree-3 fit of it over the swath)
        fm = sum(float(k.text) * (tau - float(rate.find("referencePoint").text)) ** int(k.get("exponent"))
                 for k in rate.findall("coefficient"))
        t_raw = c["first_line_s"] + (est.azimuth_time - p.start_time) / np.timedelta64(1, "ns") * 1e-9
        np.testing.assert_allclose(f, centroid_hz(c, tau, t_raw - f / fm), atol=1e-6)
    # the sweep: 0.8 line rates over the scene's lines, k ~ -1.3e5 Hz/s here (a real SL scene: a few kHz/s)
    assert truth["azimuth_sweep_hz_s"] == c["k_hz_per_s"] == pytest.approx(
        -SWEEP_SPAN_OF_LINE_RATE * SL_PRF_HZ**2 / SIZE[0])
    assert p.spotlight_doppler.residual_hz < 1e-4
    mid_tau = 0.5 * (g.near_range_time_s + p.meta.far_range_time_s)
    assert p.doppler_centroid_rate_hz_s == pytest.approx(float(sweep_hz_s(c, mid_tau)), rel=1e-9)
    # the carrier at some columns: kt the simulator's sweep there, fdc its centroid on the middle line
    car = p.azimuth_carrier
    assert isinstance(car, SpotlightCarrier) and car.lines == SIZE[0] and car.mid_line == (SIZE[0] - 1) // 2
    cols = np.array([0, 37, 128, SIZE[1] - 1])
    tau = g.near_range_time_s + cols / g.range_sampling_rate_hz
    np.testing.assert_allclose(car.kt[cols], sweep_hz_s(c, tau), rtol=1e-7)
    t_mid = c["first_line_s"] + car.mid_line * g.line_interval_s
    np.testing.assert_allclose(car.fdc[cols], centroid_hz(c, tau, t_mid), atol=1e-3)
    assert np.ptp(car.kt) > 1e-3 * abs(c["k_hz_per_s"])  # the sweep's range variation is there to be read
    utc = p.start_time + np.timedelta64(int(round(car.mid_line * g.line_interval_s * 1e9)), "ns")
    np.testing.assert_allclose(p.doppler_centroid_at(tau, utc), centroid_hz(c, tau, t_mid), atol=1e-3)


def test_the_ramps_are_centred_on_the_scene_centre(pair):
    """Both dates' ramps on the same ground: the master's at its middle line (its orbit is placed to see the
    scene centre there), the slave's where it sees it (slave_shift lines earlier in its own grid, plus the
    content's misregistration), not on the same line."""
    _, truth = pair
    cfg = PairConfig(size=SIZE, seed=4)
    m, s = truth["spotlight"]["master"], truth["spotlight"]["slave"]
    assert m["ramp_centre_line"] == pytest.approx((SIZE[0] - 1) / 2, abs=1e-3)
    dl = cfg.misregistration["line"]
    expect = -cfg.slave_shift[0] + dl[0] + dl[1] * (SIZE[0] - 1) / 2 + dl[2] * (SIZE[1] - 1) / 2
    assert s["ramp_centre_line"] - m["ramp_centre_line"] == pytest.approx(expect, abs=0.02)


def _centres_hz(img: np.ndarray, line_interval_s: float) -> np.ndarray:
    """Local azimuth spectrum centre (Hz, within ± half the line rate) of the first, middle and last BLOCK
    lines: the phase of Σ x[l+1] conj(x[l]) over each block."""
    acc = img[1:] * np.conj(img[:-1])
    starts = (0, (acc.shape[0] - BLOCK) // 2, acc.shape[0] - BLOCK)
    return np.array([np.angle(acc[a:a + BLOCK].sum()) for a in starts]) / (2 * np.pi * line_interval_s), starts


@pytest.mark.parametrize("role", ["master", "slave"])
def test_the_carrier_brings_the_spectrum_to_baseband(pair, role):
    out, truth = pair
    p = terrasar.open_product(_folder(out, role))
    c = truth["spotlight"][role]
    dt = p.radar_grid.line_interval_s
    rate = 1.0 / dt
    img = p.read()
    raw, starts = _centres_hz(img, dt)
    base, _ = _centres_hz(p.azimuth_carrier.deramp(img, 0, 0), dt)
    t = c["first_line_s"] + (np.array(starts) + BLOCK / 2) * dt
    tau = p.radar_grid.near_range_time_s + (SIZE[1] - 1) / 2 / p.radar_grid.range_sampling_rate_hz
    expected = centroid_hz(c, tau, t)
    # speckle scatters a 48 x 256 block's centre by tens of Hz (measured: <= 40 Hz raw against the
    # simulator's centroid, <= 34 Hz deramped, of a 6500 Hz line rate): 1.5 % of the line rate, ~98 Hz
    tol = 0.015 * rate
    np.testing.assert_allclose(raw, expected, atol=tol)
    # the raw centre sweeps by k × the time between the first and last blocks: -4.2 kHz, 0.65 line rates
    sweep = c["k_hz_per_s"] * (t[-1] - t[0])
    assert raw[-1] - raw[0] == pytest.approx(sweep, abs=tol) and abs(sweep) > 0.6 * rate
    np.testing.assert_allclose(base, 0.0, atol=tol)


def _edit_xml(folder: Path, edit) -> None:
    xml = folder / f"{folder.name}.xml"
    tree = ET.parse(xml)
    edit(tree.getroot())
    tree.write(xml, encoding="UTF-8", xml_declaration=True)


def test_a_spotlight_product_without_a_sweep_to_fit_is_refused(pair, tmp_path):
    """One dopplerEstimate record cannot fix the centroid's azimuth sweep: refused in one line naming the
    XML and the element, rather than processed with a wrong (or no) carrier."""
    src = _folder(pair[0], "master")
    folder = tmp_path / src.name
    shutil.copytree(src, folder)

    def keep_one(root):
        dc = root.find("processing/doppler/dopplerCentroid")
        for e in dc.findall("dopplerEstimate")[1:]:
            dc.remove(e)

    _edit_xml(folder, keep_one)
    with pytest.raises(ProductError, match=rf"^{folder}/{folder.name}\.xml: processing/doppler/dopplerCentroid/"
                                           r"dopplerEstimate: 1 records over 0 s of zero-Doppler time") as e:
        terrasar.open_product(folder)
    assert "\n" not in str(e.value)
