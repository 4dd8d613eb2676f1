"""Doppler0: lag-one kernel vs numpy; a known simulated centroid; the real IW3 crop vs its annotation."""

import numpy as np
import pytest
import rasterio

from dinsar.geometry.doppler import estimate
from dinsar.io.annotation import parse_annotation
from dinsar.kernels.doppler import lag_one_sums
from tests.conftest import AZORES_CROP, AZORES_XML


def test_lag_one_kernel_matches_numpy():
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((70, 45)) + 1j * rng.standard_normal((70, 45))).astype(np.complex64)
    got = lag_one_sums(a, 8, 10)
    ref = np.empty((8, 4), np.complex128)
    for i in range(8):
        for j in range(4):
            b = a[i * 8:(i + 1) * 8, j * 10:(j + 1) * 10].astype(np.complex128)
            ref[i, j] = np.sum(b[1:] * np.conj(b[:-1]))
    # products of float32 samples, summed in float64: float32 rounding of each product
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-5)
    with pytest.raises(ValueError, match="az_block >= 2"):
        lag_one_sums(a, 1, 10)


def test_recovers_a_simulated_stripmap_centroid():
    """Speckle band-limited to 70 % of the PRF around f0: the estimate finds f0 within 3 standard
    errors (spread / sqrt(cells))."""
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    from dataclasses import replace

    stripmap = replace(ann, bursts=[], lines_per_burst=0)
    prf = 1.0 / ann.azimuth_time_interval_s
    f0 = 57.0
    rng = np.random.default_rng(11)
    n_az, n_rg = 1024, 512
    white = rng.standard_normal((n_az, n_rg)) + 1j * rng.standard_normal((n_az, n_rg))
    freqs = np.fft.fftfreq(n_az, d=1 / prf)
    band = np.abs(((freqs - f0 + prf / 2) % prf) - prf / 2) < 0.35 * prf
    slc = np.fft.ifft(np.fft.fft(white, axis=0) * band[:, None], axis=0).astype(np.complex64)
    result = estimate(slc, stripmap, az_block=32, rg_block=128)
    cells = (n_az // 32) * (n_rg // 128)
    assert result["mode"] == "StripMap"
    assert result["doppler_hz"] == pytest.approx(f0, abs=3 * result["spread_hz"] / np.sqrt(cells))
    assert result["spread_hz"] < 20


def test_real_iw3_crop_against_its_annotation():
    """Measured: 2.5 Hz (spread 4.1 Hz) over the 1401 columns at the mid time of burst 7,
    against 1.13 Hz in the annotation's nearest estimate; the annotation's estimates for the
    swath span -0.3 .. 26.9 Hz over the crop's ranges. The crop's top is land, its bottom sea
    (weighted down by its weak lag-one correlation)."""
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    with rasterio.open(AZORES_CROP) as src:
        slc = src.read(1)
    result = estimate(slc, ann, first_line=9799, first_col=10999, az_block=32, rg_block=1400)
    assert result["mode"] == "TOPS"
    # the crop's first line lies in burst 7 (1-based), as the data README says
    burst7 = ann.bursts[6].azimuth_time
    half_burst_ns = int((ann.lines_per_burst - 1) / 2 * ann.azimuth_time_interval_s * 1e9)
    mid = burst7 + np.timedelta64(half_burst_ns, "ns")
    assert np.datetime64(result["reference_time"]) == mid
    f, spread = result["doppler_hz"], result["spread_hz"]
    assert abs(f - result["annotation_nearest_hz"]) < spread
    assert result["annotation_min_hz"] - spread <= f <= result["annotation_max_hz"] + spread
    # the steering ramp measured from the data: k_t ≈ 1.6 kHz/s for IW3
    rate = result["range_blocks"][0]["doppler_rate_hz_per_s"]
    assert 1400 < rate < 1800
