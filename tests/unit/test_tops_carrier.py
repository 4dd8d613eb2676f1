"""The TOPS azimuth carrier (dinsar.geometry.tops, dinsar.kernels.tops) on real IW annotations and data.

Measured on the shared data (the figures the assertions bound):
- Azores IW3 (k_ψ = 1.3974 deg/s): k_s = 6678 Hz/s (v_s = 7.59 km/s), k_t = +1497 .. +1571 Hz/s near to
  far range; Rome IW1 (k_ψ = 1.5904 deg/s): k_s = 7600 Hz/s, k_t = +1692 .. +1781 Hz/s. k_t is positive:
  k_a < 0 and k_s > 0 give k_t = k_a k_s / (k_a - k_s) = k_s / (1 - k_s/k_a) in (0, k_s); its magnitude
  is the usual IW 1.5 .. 2 kHz/s, and its sign is what the data show (the crop's lag-one phase advances
  along the burst), in the convention of dinsar.kernels.doppler.
- The Azores crop (lines 9799 .. 10399) lies in burst 7 (1-based) by swathTiming: lines 715 .. 1315 of
  the burst, η = -0.09 .. +1.15 s from its centre. Its top ~320 lines are land (~40 dB), the rest sea
  (~23 dB).
"""

import numpy as np
import pytest
import rasterio

from dinsar.errors import ProductError
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.tops import burst_carrier, burst_of_line
from dinsar.io.annotation import parse_annotation
from dinsar.io.eof import read_eof
from dinsar.kernels.tops import carrier_phase_at, deramp
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import AZORES_CROP, AZORES_EOF, AZORES_XML, ROME_SAFE, S3_SAFE, xml_values

ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-slc-vv-*.xml"))
S3_XML = next((S3_SAFE / "annotation").glob("s1a-s3-slc-vh-*.xml"))
CROP_LINE, CROP_COL = 9799, 10999  # the crop's first line and column in the burst-stacked image (README)


def _annotation(path):
    return parse_annotation(path.read_bytes(), str(path))


@pytest.fixture(scope="module")
def azores():
    return _annotation(AZORES_XML)


@pytest.fixture(scope="module")
def crop():
    with rasterio.open(AZORES_CROP) as src:
        return src.read(1).astype(np.complex64)


@pytest.fixture(scope="module")
def carrier(azores):
    return burst_carrier(azores, None, burst_of_line(azores, CROP_LINE))


def test_steering_rate_from_the_annotation():
    for path in (AZORES_XML, ROME_XML, S3_XML):
        (text,) = xml_values(path, "azimuthSteeringRate")
        assert _annotation(path).azimuth_steering_rate_deg_s == float(text)
    assert _annotation(S3_XML).azimuth_steering_rate_deg_s == 0.0  # StripMap does not steer


@pytest.mark.parametrize("path, rate, kt_range", [(AZORES_XML, 1.397440818, (1490, 1580)),
                                                  (ROME_XML, 1.590368784, (1685, 1790))])
def test_carrier_of_real_iw_annotations(path, rate, kt_range):
    ann = _annotation(path)
    lpb, dt = ann.lines_per_burst, ann.azimuth_time_interval_s
    for k in range(len(ann.bursts)):
        c = burst_carrier(ann, None, k)
        # burst geometry from swathTiming: linesPerBurst lines each, η = 0 at line linesPerBurst // 2
        assert (c.first_line, c.lines, c.mid_line) == (k * lpb, lpb, k * lpb + lpb // 2)
        assert c.mid_time == ann.bursts[k].azimuth_time + np.timedelta64(round(lpb // 2 * dt * 1e9), "ns")
        # k_s = 2 v k_ψ / λ, v from the annotated velocity at the nearest state vector (an independent
        # source: the orbit's own velocity is the derivative of a fit through positions)
        sv = ann.state_vectors
        near = np.argmin(np.abs((sv.time - c.mid_time) / np.timedelta64(1, "s")))
        v = np.linalg.norm(sv.velocity[near])
        assert c.ks_hz_s == pytest.approx(2 * v * np.radians(rate) / ann.wavelength_m, rel=2e-4)
        # the polynomials nearest the burst's mid time, evaluated in (τ - t0)
        fm = min(ann.fm_rates, key=lambda e: abs(e.azimuth_time - c.mid_time))
        dc = min(ann.dc_estimates, key=lambda e: abs(e.azimuth_time - c.mid_time))
        tau = ann.slant_range_time_s + np.arange(ann.number_of_samples) / ann.range_sampling_rate_hz
        ka = np.polyval(fm.poly[::-1], tau - fm.t0)
        fdc = np.polyval(dc.data_poly[::-1], tau - dc.t0)
        np.testing.assert_allclose(c.fdc, fdc, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(c.kt, ka * c.ks_hz_s / (ka - c.ks_hz_s), rtol=1e-12)
        np.testing.assert_allclose(c.eta_ref, fdc[0] / ka[0] - fdc / ka, atol=1e-15)
        assert c.eta_ref[0] == 0.0
        assert kt_range[0] < c.kt.min() and c.kt.max() < kt_range[1]
        assert np.all((ka < 0) & (c.kt > 0) & (c.kt < c.ks_hz_s))


def test_product_and_annotation_give_the_same_carrier():
    p = open_product(ROME_SAFE, swath="IW1")
    a, b = burst_carrier(p, None, 4), burst_carrier(_annotation(ROME_XML), None, 4)
    assert a.ks_hz_s == pytest.approx(b.ks_hz_s, rel=1e-9)
    np.testing.assert_allclose(a.kt, b.kt, rtol=1e-9)
    np.testing.assert_array_equal(a.eta_ref, b.eta_ref)


def test_eof_orbit_agrees_with_the_annotation_orbit(azores, carrier):
    c = burst_carrier(azores, Orbit(read_eof(AZORES_EOF)), carrier.burst_index)
    assert c.ks_hz_s == pytest.approx(carrier.ks_hz_s, rel=1e-6)


def test_stripmap_and_bad_bursts_are_refused(azores):
    with pytest.raises(ProductError, match="not a TOPS image"):
        burst_carrier(_annotation(S3_XML), None, 0)
    with pytest.raises(ProductError, match="burst 9 requested"):
        burst_carrier(azores, None, 9)


def test_kernel_matches_numpy(carrier):
    """deramp/reramp and carrier_phase_at against BurstCarrier.phase (numpy, the polynomials evaluated at
    every position): 1e-6 rad, where the phase itself exceeds 3e3 rad (1.2e4 at the burst's corners)."""
    rng = np.random.default_rng(3)
    c = carrier
    first_line, first_col, shape = c.first_line + 3, 20_000, (c.lines - 5, 180)
    a = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    lines = first_line + np.arange(shape[0])[:, None]
    cols = first_col + np.arange(shape[1])[None, :]
    ref = c.phase(lines, cols)
    assert np.abs(ref).max() > 3e3
    for demodulate in (True, False):
        out = c.deramp(a, first_line, first_col, demodulate=demodulate)
        ref = c.phase(lines, cols, demodulate=demodulate)
        got = np.angle(out.astype(np.complex128) / a)
        np.testing.assert_allclose(np.angle(np.exp(1j * (got + ref))), 0.0, atol=1e-6)
        np.testing.assert_allclose(np.abs(out), np.abs(a), rtol=1e-6)
        back = c.reramp(out, first_line, first_col, demodulate=demodulate)
        np.testing.assert_allclose(back, a, rtol=0, atol=1e-5)
    # in place, and the plain kernel with sign +1
    b = a.copy()
    assert deramp(b, first_line, first_col, c.kt, c.fdc, c.eta_ref, c.mid_line, c.line_interval_s, out=b) is b
    np.testing.assert_array_equal(b, c.deramp(a, first_line, first_col))
    # fractional positions (a resampler's), across the whole swath width
    fl = c.first_line + rng.uniform(0, c.lines - 1, 5000)
    fc = rng.uniform(0, c.samples - 1, 5000)
    np.testing.assert_allclose(c.phase_at(fl, fc), c.phase(fl, fc), rtol=0, atol=1e-6)
    np.testing.assert_allclose(c.phase_at(fl, fc, demodulate=False), c.phase(fl, fc, demodulate=False), atol=1e-6)
    assert np.isnan(carrier_phase_at([c.mid_line], [np.nan], c.kt, c.fdc, c.eta_ref, c.mid_line, 1.0))[0]
    # the fused reramp at fractional positions (what resample_burst applies) against numpy exp(+jφ)
    z = (rng.standard_normal((50, 100)) + 1j * rng.standard_normal((50, 100))).astype(np.complex64)
    yy, xx = fl[:5000].reshape(50, 100), fc[:5000].reshape(50, 100)
    xx[0, 0] = np.nan
    got = z.copy()
    c.reramp_at(got, yy, xx)
    want = (z * np.exp(1j * c.phase(yy, np.nan_to_num(xx)))).astype(np.complex64)
    want[0, 0] = z[0, 0]  # a NaN position leaves its sample as it is
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * np.abs(z).max())
    with pytest.raises(ValueError, match="not all in burst"):
        c.deramp(a, c.first_line - 1, first_col)
    with pytest.raises(ValueError, match="outside the carrier"):
        c.deramp(a, first_line, c.samples - 10)
    with pytest.raises(ValueError, match="outside the carrier"):
        c.phase_at([c.mid_line], [c.samples])


LAND_DB = 35.0  # land cells are ~40 dB, sea ~23 dB (20 log10 of the CInt16 amplitude)


def _land_columns(a, i0, n, rg=200):
    """Columns of lines i0 .. i0 + n - 1 that lie in land cells (n lines × rg columns, mean power > LAND_DB)."""
    power = np.abs(a[i0:i0 + n].astype(np.complex128)) ** 2
    cells = [10 * np.log10(power[:, j:j + rg].mean()) > LAND_DB for j in range(0, a.shape[1], rg)]
    return np.repeat(cells, rg)[:a.shape[1]]


def _centroids(a, prf, columns=None, n=64, step=32):
    """Per sub-block of n lines: (centre line in the crop, lag-one Doppler Hz, azimuth power spectrum
    centroid Hz), over the columns columns(i0, n) selects (all when None; blocks with none are skipped).
    Two estimators independent of the carrier code: the lag-one correlation phase × PRF / 2π, and the
    circular centroid of the Hann-windowed azimuth power spectrum."""
    out = []
    f = np.fft.fftfreq(n, 1 / prf)
    for i0 in range(0, a.shape[0] - n + 1, step):
        keep = np.ones(a.shape[1], bool) if columns is None else columns(i0, n)
        if not keep.any():
            continue
        b = a[i0:i0 + n, keep].astype(np.complex128)
        lag1 = prf * np.angle(np.sum(b[1:] * np.conj(b[:-1]))) / (2 * np.pi)
        power = (np.abs(np.fft.fft(b * np.hanning(n)[:, None], axis=0)) ** 2).sum(axis=1)
        centroid = prf * np.angle(np.sum(power * np.exp(2j * np.pi * f / prf))) / (2 * np.pi)
        out.append((i0 + (n - 1) / 2, lag1, centroid))
    return np.array(out).T


def test_deramping_centres_the_real_crop(azores, crop, carrier):
    """The real Azores crop, in sub-blocks of 64 lines (step 32) over its land columns (cells of 64 lines ×
    200 columns above 35 dB: 12 sub-blocks, crop lines 0 .. 415, 1401 columns down to 400 at the coast).
    k_t over the crop's columns: 1532 .. 1537 Hz/s; annotated data Doppler f_ηc = 1.05 .. 1.22 Hz
    (its dataDcRmsError: 8.1 Hz).

    Raw: the local centroid sweeps at 1507 (lag one) / 1533 (spectrum) Hz/s, ~1100 Hz over the land's 352
    lines (and ~1650 Hz, 3.4 PRF, down the whole crop). Deramped (exp(-jφ)): 0.1 .. 5.4 Hz, mean 2.7 /
    2.9 Hz, residual rate 4 .. 5 Hz/s (0.3 % of k_t); without the linear term (demodulate=False) the same
    blocks sit at f_ηc + 2.7 Hz (mean 3.8 / 4.0 Hz): centred at the annotated Doppler within its own
    error. The sea (~23 dB) sits at +20 .. +65 Hz after deramping: the ocean surface's own Doppler (and
    noise), not the carrier's; it is left out, and it would bias the raw sweep fitted over the whole crop
    (1561 / 1584 Hz/s). With the wrong sign (exp(+jφ)) the spectrum centroid sweeps at 3112 Hz/s = 2.03 k_t
    (16-line steps: the sweep per step must stay under PRF / 2; the lag-one estimate breaks down on the
    doubled chirp). Tolerances: raw rate k_t ± 3 %; deramped |mean - expected| < 4 Hz, every block within
    8 Hz, residual rate < 1 % of k_t; wrong sign 2 k_t ± 3 %.
    """
    c = carrier
    assert c.burst_index == 6  # burst 7 (1-based), as the data README says, but from swathTiming
    prf, dt = 1 / c.line_interval_s, c.line_interval_s
    kt = c.kt[CROP_COL:CROP_COL + crop.shape[1]].mean()
    fdc = c.fdc[CROP_COL:CROP_COL + crop.shape[1]].mean()

    def land(i0, n):
        return _land_columns(crop, i0, n)

    centre, lag1, spec = _centroids(crop, prf, land)
    assert len(centre) >= 10  # the land part of the crop, ~350 lines
    for raw in (lag1, spec):
        assert np.polyfit(centre * dt, np.unwrap(raw, period=prf), 1)[0] == pytest.approx(kt, rel=0.03)

    for demodulate, expected in ((True, 0.0), (False, fdc)):
        out = c.deramp(crop, CROP_LINE, CROP_COL, demodulate=demodulate)
        _, d_lag1, d_spec = _centroids(out, prf, land)
        for f in (d_lag1, d_spec):
            assert abs(f.mean() - expected) < 4.0
            assert np.abs(f - expected).max() < 8.0
            assert abs(np.polyfit(centre * dt, f, 1)[0]) < 0.01 * kt

    lines = CROP_LINE + np.arange(crop.shape[0])[:, None]
    cols = CROP_COL + np.arange(crop.shape[1])[None, :]
    wrong = crop * np.exp(1j * c.phase(lines, cols)).astype(np.complex64)
    w_centre, _, w_spec = _centroids(wrong, prf, step=16)
    assert np.polyfit(w_centre * dt, np.unwrap(w_spec, period=prf), 1)[0] == pytest.approx(2 * kt, rel=0.03)
