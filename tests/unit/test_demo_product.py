"""The demo SAFE product: read like a real one, fully developed speckle, consistent geometry."""

import numpy as np
import pytest

from dinsar.io.annotation import SPEED_OF_LIGHT
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate import speckle


def test_reads_like_a_real_product(demo_zip):
    vv, vh = open_product(demo_zip, "VV"), open_product(demo_zip, "VH")
    assert vv.name == demo_zip.stem == speckle.product_name("2016-08-18T14:22:05", (256, 320))
    assert vv.polarisations == ["VH", "VV"] and vv.shape == vh.shape == (256, 320)
    a, m = vv.annotation, vv.manifest
    assert (a.mission, a.mode, a.swath, m.mode, m.pass_direction) == ("S1A", "S3", "S3", "SM", "Ascending")
    assert m.polarisations == ("VV", "VH") and m.relative_orbit == (m.absolute_orbit - 73) % 175 + 1
    assert a.first_line_time == np.datetime64("2016-08-18T14:22:05")
    assert len(a.state_vectors) == 13 and a.state_vectors.covers(a.first_line_time, a.last_line_time)


def test_fully_developed_speckle(demo_zip):
    """Intensity over the known backscatter pattern is exponential (mean 1, std 1); VH is
    8 dB below VV and uncorrelated with it. Tolerances: 3 standard errors over 81 920 samples
    (std error of the mean ≈ 0.0035) plus the int16 rounding of the samples."""
    vv, vh = open_product(demo_zip, "VV").read(), open_product(demo_zip, "VH").read()
    pattern = speckle._upsample(speckle._pattern((256, 320), 7), 0, 256, 320)
    norm = np.abs(vv) ** 2 / (60.0**2 * pattern)
    assert norm.mean() == pytest.approx(1.0, abs=0.015)
    assert norm.std() == pytest.approx(1.0, abs=0.03)
    ratio_db = 10 * np.log10(np.mean(np.abs(vh) ** 2) / np.mean(np.abs(vv) ** 2))
    assert ratio_db == pytest.approx(-8.0, abs=0.1)
    coh = abs(np.mean(vv * np.conj(vh))) / np.sqrt(np.mean(np.abs(vv) ** 2) * np.mean(np.abs(vh) ** 2))
    assert coh < 0.02


def test_geolocation_grid_is_the_zero_doppler_geometry(demo_zip):
    a = open_product(demo_zip, "VV").annotation
    g = a.geolocation_grid
    assert np.all(np.abs(g.height) < 1e-3)
    assert 55.5 < g.longitude.mean() < 55.9 and -21.4 < g.latitude.mean() < -21.1  # Piton de la Fournaise
    assert np.all((25 < g.incidence_angle) & (g.incidence_angle < 35))  # StripMap S3: ~29-32°
    assert -14 < a.platform_heading_deg < -10  # ascending, as real S1 over La Réunion
    # points further in range are further from the track: longitude grows with pixel (looking east)
    first_line = g.line == 0
    assert np.all(np.diff(g.longitude[first_line]) > 0)
    # every grid point, taken back to ECEF by PROJ, lies at range c·τ/2 from the orbit at its
    # azimuth time and at zero Doppler (1 mm and 1e-6 of a radian: float64 round-off)
    from pyproj import Transformer

    to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    x = np.stack(to_ecef.transform(g.longitude, g.latitude, g.height), -1)
    mid_time = a.slant_range_time_s + a.number_of_samples / 2 / a.range_sampling_rate_hz
    mid_range = mid_time * SPEED_OF_LIGHT / 2
    orbit = speckle._place_orbit(mid_range)
    t = (g.azimuth_time - a.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    pos, vel = orbit.state(t - (a.number_of_lines - 1) / 2 * a.azimuth_time_interval_s)
    look = x - pos
    slant_range = g.slant_range_time * SPEED_OF_LIGHT / 2
    np.testing.assert_allclose(np.linalg.norm(look, axis=1), slant_range, atol=1e-3)
    cos_squint = np.sum(look * vel, axis=1) / np.linalg.norm(look, axis=1) / np.linalg.norm(vel, axis=1)
    assert np.abs(cos_squint).max() < 1e-6


def test_azimuth_spectrum_is_band_limited_and_centred(demo_zip):
    """80 % of the PRF around zero Doppler: the outer 20 % of the spectrum holds < 3 % of the power,
    and Doppler0 finds 0 Hz within 3 standard errors."""
    from dinsar.geometry.doppler import estimate

    product = open_product(demo_zip, "VV")
    slc = product.read()
    spectrum = np.mean(np.abs(np.fft.fft(slc, axis=0)) ** 2, axis=1)
    freqs = np.fft.fftfreq(slc.shape[0])
    outside = np.abs(freqs) > 0.4
    assert spectrum[outside].sum() / spectrum.sum() < 0.03
    result = estimate(slc, product.annotation, az_block=32, rg_block=64)
    cells = (slc.shape[0] // 32) * (slc.shape[1] // 64)
    assert abs(result["doppler_hz"]) < 3 * result["spread_hz"] / np.sqrt(cells)


def test_generation_does_not_depend_on_the_block_size(tmp_path, monkeypatch):
    a = open_product(speckle.write_demo_product(tmp_path / "a", (200, 96), seed=4), "VV").read()
    monkeypatch.setattr(speckle, "BLOCK_LINES", 37)
    b = open_product(speckle.write_demo_product(tmp_path / "b", (200, 96), seed=4), "VV").read()
    np.testing.assert_array_equal(a, b)
