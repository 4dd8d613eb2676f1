"""Chain kernels against plain-numpy references, and on real data.

- resampling vs an exact windowed-sinc sum, and vs an exact (FFT) shift of a band-limited signal;
- offset matching on a known shift of synthetic and of real (Azores crop) data: within 0.01 px;
- coherence on the real coregistered Amsterdam pair: the README's 0.768 (3×3) within ±0.05;
- Goldstein: a clean fringe pattern passes, noise is reduced.
"""

import numpy as np
import pytest
import rasterio

from dinsar.interferometry.correlate import match
from dinsar.interferometry.filter import goldstein
from dinsar.kernels.coherence import coherence_boxcar
from dinsar.kernels.resample import HALF, resample, weights_numpy
from tests.conftest import AZORES_CROP, DATA


def _band_limited(n, rng, b_az=0.8, b_rg=0.85):
    w = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    f = np.fft.fftfreq(n)
    mask = (np.abs(f)[:, None] < b_az / 2) & (np.abs(f)[None, :] < b_rg / 2)
    spec = np.fft.fft2(w) * mask
    return spec, f


def test_resample_matches_the_windowed_sinc_sum():
    rng = np.random.default_rng(1)
    src = (rng.standard_normal((40, 50)) + 1j * rng.standard_normal((40, 50))).astype(np.complex64)
    y = rng.uniform(10, 30, (6, 7))
    x = rng.uniform(10, 40, (6, 7))
    got = resample(src, 0, 0, y, x)
    ref = np.empty(y.shape, complex)
    for idx in np.ndindex(y.shape):
        iy = int(np.floor(y[idx])) - HALF + 1 + np.arange(2 * HALF)
        ix = int(np.floor(x[idx])) - HALF + 1 + np.arange(2 * HALF)
        wy, wx = weights_numpy(y[idx] - iy), weights_numpy(x[idx] - ix)
        ref[idx] = (wy / wy.sum()) @ src[np.ix_(iy, ix)] @ (wx / wx.sum())
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)  # complex64 output


def test_resample_a_band_limited_signal():
    """12 taps on an 80 %/85 % band-limited field: 2 % rms error, phase unbiased (1e-3 rad)."""
    rng = np.random.default_rng(0)
    n = 128
    spec, f = _band_limited(n, rng)
    sig = np.fft.ifft2(spec)
    dy, dx = 0.37, -0.21
    exact = np.fft.ifft2(spec * np.exp(2j * np.pi * (f[:, None] * dy + f[None, :] * dx)))
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    got = resample(sig, 0, 0, yy + dy, xx + dx)
    inner = (slice(20, -20), slice(20, -20))
    err = np.sqrt(np.mean(np.abs(got[inner] - exact[inner]) ** 2) / np.mean(np.abs(exact[inner]) ** 2))
    assert err < 0.02
    assert abs(np.angle(np.sum(got[inner] * np.conj(exact[inner])))) < 1e-3
    # the Doppler-aware version on a signal whose azimuth spectrum is centred at 0.3 cycles/line
    shifted = sig * np.exp(2j * np.pi * 0.3 * yy)
    exact_shifted = exact * np.exp(2j * np.pi * 0.3 * (yy + dy))
    got = resample(shifted, 0, 0, yy + dy, xx + dx, doppler_hz=0.3, line_interval_s=1.0)
    err = np.sqrt(np.mean(np.abs(got[inner] - exact_shifted[inner]) ** 2) / np.mean(np.abs(exact[inner]) ** 2))
    assert err < 0.02


def test_tap_table_rows_are_the_normalised_weights():
    """The two-pass kernel's weights at k / FRACTIONS: the windowed sinc at those offsets, summing to 1."""
    from dinsar.kernels.resample import FRACTIONS, tap_table

    taps = tap_table()
    for k in (0, 1, FRACTIONS // 3, FRACTIONS - 1, FRACTIONS):
        w = weights_numpy(k / FRACTIONS + HALF - 1 - np.arange(2 * HALF))
        np.testing.assert_allclose(taps[k], w / w.sum(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(taps.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("doppler", [0.0, 0.23])
def test_blocked_resampling_agrees_with_the_exact_sum(doppler):
    """Smooth coregistration-like positions: the two-pass blocks (range once per 8 lines) against the
    2-D sum. The shared range position moves by <= 1e-3 px within a block, so on a full-band
    (white) field the difference stays at the 1e-3 level; rough positions take the exact sum."""
    from dinsar.kernels.resample import X_DRIFT_MAX

    rng = np.random.default_rng(5)
    src = (rng.standard_normal((300, 340)) + 1j * rng.standard_normal((300, 340))).astype(np.complex64)
    yy, xx = np.mgrid[0:256, 0:300].astype(np.float64)
    y = yy + 20.31 + 1e-4 * xx + 3e-5 * yy
    x = xx + 17.77 - 2e-4 * yy + 4e-5 * xx
    x[100:110, 50] = np.nan  # a hole: NaN out, neighbours exact
    exact = resample(src, 0, 0, y, x, doppler_hz=doppler, exact=True)
    got = resample(src, 0, 0, y, x, doppler_hz=doppler)
    ok = np.isfinite(exact)
    assert np.array_equal(ok, np.isfinite(got))
    rel = np.abs(got - exact)[ok] / np.sqrt(np.mean(np.abs(exact[ok]) ** 2))
    assert np.sqrt(np.mean(rel**2)) < 2e-3 and rel.max() < 2 * np.pi * X_DRIFT_MAX * 2
    rough = x + rng.uniform(-0.3, 0.3, x.shape)  # drift beyond the limit in every block: exact everywhere
    np.testing.assert_allclose(resample(src, 0, 0, y, rough, doppler_hz=doppler),
                               resample(src, 0, 0, y, rough, doppler_hz=doppler, exact=True), atol=1e-5)


@pytest.mark.parametrize("dy,dx", [(0.37, -0.21), (-0.43, 0.12)])
def test_match_finds_a_known_shift(dy, dx):
    rng = np.random.default_rng(2)
    spec, f = _band_limited(256, rng)
    master = np.fft.ifft2(spec)
    slave = np.fft.ifft2(spec * np.exp(-2j * np.pi * (f[:, None] * dy + f[None, :] * dx)))  # content moved by +d
    found = [match(master[y:y + 64, 40:104], slave[y:y + 64, 40:104]) for y in range(16, 190, 24)]
    assert np.mean([r.dline for r in found]) == pytest.approx(dy, abs=0.01)
    assert np.mean([r.dcol for r in found]) == pytest.approx(dx, abs=0.01)
    assert min(r.peak for r in found) > 0.5


def test_real_crop_against_itself_shifted():
    """The real Azores SLC crop against itself shifted by a known sub-pixel amount: found within
    0.01 px (median over 64×64 windows).

    The crop is TOPS data: its Doppler sweeps through ±PRF/2 within the burst, so a plain DFT
    shift would alias part of the spectrum; the shift is applied to the crop brought to
    baseband (its azimuth chirp, fitted from the lag-one phase, removed), and the chirp is
    put back at the shifted times: the scene moves, its Doppler history with it.
    """
    with rasterio.open(AZORES_CROP) as src:
        slc = src.read(1).astype(np.complex128)[:512, :1024]
    lag = np.sum(slc[1:] * np.conj(slc[:-1]), axis=1)
    k, f0 = np.polyfit(np.arange(len(lag)) + 0.5, np.unwrap(np.angle(lag)) / (2 * np.pi), 1)

    def chirp(t):
        return np.exp(2j * np.pi * (f0 * t + 0.5 * k * t**2))

    yy = np.arange(512)[:, None].astype(float)
    fy, fx = np.fft.fftfreq(512), np.fft.fftfreq(1024)
    for dy, dx in ((0.3, -0.45), (-0.21, 0.33)):
        ramp = np.exp(-2j * np.pi * (fy[:, None] * dy + fx[None, :] * dx))
        moved = np.fft.ifft2(np.fft.fft2(slc * np.conj(chirp(yy))) * ramp) * chirp(yy - dy)
        found = [match(slc[y:y + 64, x:x + 64], moved[y:y + 64, x:x + 64])
                 for y in range(64, 400, 64) for x in range(64, 900, 128)]
        good = [r for r in found if r.peak > 0.3]
        assert len(good) > 30
        assert np.median([r.dline for r in good]) == pytest.approx(dy, abs=0.01)
        assert np.median([r.dcol for r in good]) == pytest.approx(dx, abs=0.01)


def test_coherence_on_the_real_amsterdam_pair():
    with rasterio.open(DATA / "amsterdam_coreg_pair" / "master_20230331_vv.tif") as a, \
            rasterio.open(DATA / "amsterdam_coreg_pair" / "slave_20230319_vv_coregistered.tif") as b:
        m, s = a.read(1), b.read(1)
    for k, published in ((3, 0.768), (5, 0.755), (9, 0.752)):
        assert np.mean(coherence_boxcar(m, s, k, k)) == pytest.approx(published, abs=0.05)
    # plain numpy twin of the kernel, on the same data
    ref = np.empty((m.shape[0] - 2, m.shape[1] - 2))
    for i in range(ref.shape[0]):
        for j in range(ref.shape[1]):
            a_, b_ = m[i:i + 3, j:j + 3].astype(complex), s[i:i + 3, j:j + 3].astype(complex)
            ref[i, j] = abs(np.sum(a_ * np.conj(b_))) / np.sqrt(np.sum(abs(a_) ** 2) * np.sum(abs(b_) ** 2))
    np.testing.assert_allclose(coherence_boxcar(m, s, 3, 3), ref, rtol=1e-5, atol=1e-6)


def test_goldstein_keeps_fringes_and_removes_noise():
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:128, 0:128]
    clean = np.exp(1j * 2 * np.pi * (0.05 * xx + 0.02 * yy))
    noisy = clean * np.exp(1j * rng.normal(0, 0.6, clean.shape))
    out = goldstein(noisy.astype(np.complex64), alpha=0.8, patch=32)
    before = np.angle(noisy * np.conj(clean))[16:-16, 16:-16].std()
    after = np.angle(out * np.conj(clean))[16:-16, 16:-16].std()
    assert after < 0.5 * before
    with pytest.raises(ValueError, match="alpha"):
        goldstein(noisy, alpha=2)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_residual_polynomial_evaluates_its_terms(degree):
    """The residual model's term-by-term evaluation equals its least-squares design matrix times the
    coefficients (the matrix is the reference)."""
    from dinsar.interferometry.grid import Residual

    rng = np.random.default_rng(degree)
    n = (degree + 1) * (degree + 2) // 2
    model = Residual(degree, (1000.0, 800.0), rng.standard_normal(n), rng.standard_normal(n))
    lines, cols = rng.uniform(0, 1000, (7, 9)), rng.uniform(0, 800, (7, 9))
    got = model(lines, cols)
    terms = model.terms(lines, cols)
    np.testing.assert_allclose(got[0], terms @ model.coeff_line, atol=1e-12)
    np.testing.assert_allclose(got[1], terms @ model.coeff_col, atol=1e-12)


def test_interferogram_kernel_on_the_real_amsterdam_iw_pair():
    """The real coregistered IW pair through the interferogram step's kernel (flattening off: the pair has
    no SAFE metadata to flatten with): its 3x3 coherence is the published boxcar figure (0.768, computed
    on sliding windows; the step's looks do not overlap, hence the tolerance)."""
    from dinsar.kernels.interferogram import interfere_multilook

    with rasterio.open(DATA / "amsterdam_coreg_pair" / "master_20230331_vv.tif") as a, \
            rasterio.open(DATA / "amsterdam_coreg_pair" / "slave_20230319_vv_coregistered.tif") as b:
        m, s = a.read(1).astype(np.complex64), b.read(1).astype(np.complex64)
    lines, cols = (m.shape[0] // 3) * 3, (m.shape[1] // 3) * 3
    frame = np.zeros((2, lines + 2, cols + 2), np.complex64)
    frame[0, 1:-1, 1:-1], frame[1, 1:-1, 1:-1] = m[:lines, :cols], s[:lines, :cols]
    bands = interfere_multilook(frame[0], frame[1], np.zeros((lines, cols), np.float32), 3, 3)
    assert bands[3].min() == 1  # every sample valid
    assert np.mean(bands[2]) == pytest.approx(0.768, abs=0.03)
