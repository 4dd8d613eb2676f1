"""ESD on synthetic burst overlaps with a known azimuth misregistration.

The simulation is written here, independently of the estimator: each look is a band-limited
circular-Gaussian reflectivity (independent between the looks: they see disjoint parts of the azimuth
spectrum) carrying its burst's TOPS azimuth phase ψ(η) = 2π (f_dc (η − η_mid) + kt/2 (η − η_mid)²).
The slave is the master delayed by Δy lines — the baseband envelope shifted in the Fourier domain and
the phase taken at η − Δy·Δt (deramp → shift → reramp) — mixed with noise to a chosen coherence, and
both looks share a topographic phase that the double difference must cancel. Sentinel-1 IW numbers:
Δt 2.055 ms, kt ≈ −1600 Hz/s, burst cycle 2.758 s (Δf_ovl ≈ −4400 Hz), 1500 lines per burst.
"""

from __future__ import annotations

import numpy as np
import pytest

from dinsar.interferometry.esd import EsdError, Overlap, esd_shift, tops_doppler_centroid

DT = 2.055e-3  # s, azimuth time interval
KT = -1600.0  # Hz/s, Doppler centroid rate at mid-range
CYCLE = 2.758  # s, between consecutive burst centres
BURST_LENGTH = 1500 * DT  # s, ≈ 3.08: the bursts overlap by ~0.33 s
AZ_BANDWIDTH = 327.0  # Hz, processed azimuth bandwidth (PRF 487 Hz: oversampled ~1.5)
F_DC = 25.0  # Hz, geometric Doppler centroid
TRUE_SHIFT = 0.025  # lines; the slave is late
LINES, COLS = 100, 3000


def _kt(cols: int) -> np.ndarray:
    """kt across the sub-swath's range: ±2 % about KT, so Δf_ovl varies per column as on real data."""
    return KT * (1 + 0.04 * (np.linspace(0, 1, cols) - 0.5))


def _band_limited(rng, shape) -> np.ndarray:
    """Unit-power circular-Gaussian samples with an azimuth spectrum |ν| < AZ_BANDWIDTH / 2."""
    white = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    keep = np.abs(np.fft.fftfreq(shape[0], d=DT)) < AZ_BANDWIDTH / 2
    b = np.fft.ifft(np.fft.fft(white, axis=0) * keep[:, None], axis=0)
    return b / np.sqrt(np.mean(np.abs(b) ** 2))


def _delayed(b: np.ndarray, lines: float) -> np.ndarray:
    """b(y − lines) by the Fourier shift theorem (b is periodic by construction)."""
    nu = np.fft.fftfreq(b.shape[0])[:, None]  # cycles per line
    return np.fft.ifft(np.fft.fft(b, axis=0) * np.exp(-2j * np.pi * nu * lines), axis=0)


def _look(rng, eta, mid, kt, gamma, shift_lines, topo):
    """(master, slave) of one look: the burst centred at `mid` seeing lines at times `eta`."""
    def psi(t):
        return 2 * np.pi * (F_DC * (t - mid) + kt / 2 * (t - mid) ** 2)

    refl, noise = _band_limited(rng, (LINES, COLS)), _band_limited(rng, (LINES, COLS))
    m = refl * np.exp(1j * psi(eta))
    s = (gamma * _delayed(refl, shift_lines) + np.sqrt(1 - gamma**2) * noise) * np.exp(1j * psi(eta - shift_lines * DT))
    return m.astype(np.complex64), (s * np.exp(-1j * topo)).astype(np.complex64)


def _simulate(rng, shift_lines=TRUE_SHIFT, gamma=0.8, n_overlaps=3, low_fraction=0.0):
    """Overlaps of consecutive bursts (centres CYCLE apart), each with its lines around the midpoint time."""
    kt = _kt(COLS)
    overlaps = []
    for k in range(n_overlaps):
        mid_k, mid_k1 = k * CYCLE, (k + 1) * CYCLE
        eta = (mid_k + CYCLE / 2 + (np.arange(LINES) - LINES / 2) * DT)[:, None]
        g = np.full((LINES, COLS), gamma)
        if low_fraction:
            # low-coherence patches (water, forest) of 20 lines × 50 columns covering `low_fraction`
            patches = rng.random((LINES // 20, COLS // 50)) < low_fraction
            g[np.kron(patches, np.ones((20, 50), bool))] = 0.1
        yy, xx = np.mgrid[0:LINES, 0:COLS] / np.array([LINES, COLS])[:, None, None]
        topo = 6.0 * xx + 3.0 * np.sin(4 * yy + 2 * xx) + rng.uniform(-np.pi, np.pi)
        mf, sf = _look(rng, eta, mid_k, kt, g, shift_lines, topo)
        mb, sb = _look(rng, eta, mid_k1, kt, g, shift_lines, topo)
        f_fwd = tops_doppler_centroid(eta, mid_k, kt, F_DC)
        f_bwd = tops_doppler_centroid(eta, mid_k1, kt, F_DC)
        overlaps.append(Overlap.from_dopplers(mf, sf, mb, sb, f_fwd, f_bwd, DT, burst=k))
    return overlaps


@pytest.fixture(scope="module")
def coherent():
    return _simulate(np.random.default_rng(18))


def test_recovers_shift_at_coherence_08(coherent):
    r = esd_shift(coherent, max_prior_error_lines=0.02)
    assert abs(r.shift_lines - TRUE_SHIFT) < 5e-4
    assert 0 < r.std_lines < 5e-4 and abs(r.shift_lines - TRUE_SHIFT) < 5 * r.std_lines
    assert r.pixels == 3 * LINES * COLS
    assert len(r.per_overlap) == 3 and not any(o.rejected for o in r.per_overlap)
    for o in r.per_overlap:
        assert abs(o.shift_lines - TRUE_SHIFT) < 5e-4 and o.pixels == LINES * COLS
    # one correction per pair, and per burst on request (bursts 0..3 touch overlaps 0..2)
    per_burst = esd_shift(coherent, max_prior_error_lines=0.02).per_burst()
    assert sorted(per_burst) == [0, 1, 2, 3]
    assert all(abs(v - TRUE_SHIFT) < 5e-4 for v in per_burst.values())


def test_invalid_samples_and_given_coherence(coherent):
    """Zeros (outside a burst's valid samples) are left out; a coherence array, when given, weights."""
    o = coherent[0]
    mf = o.master_fwd.copy()
    mf[:, :500] = 0
    cut = Overlap(mf, o.slave_fwd, o.master_bwd, o.slave_bwd, o.doppler_difference_hz, DT,
                  coherence=np.full(mf.shape, 0.8), burst=0)
    r = esd_shift([cut], max_prior_error_lines=0.02)
    assert r.pixels == LINES * (COLS - 500)
    assert abs(r.shift_lines - TRUE_SHIFT) < 5e-4


def test_low_coherence_patches():
    """30 % of the pixels at γ = 0.1: the Fisher-weighted estimate holds; a naive mean of per-pixel
    shifts (isce2's statistic without its threshold) is pulled towards 0 by the noise phases."""
    overlaps = _simulate(np.random.default_rng(7), low_fraction=0.3)
    r = esd_shift(overlaps, max_prior_error_lines=0.02)
    assert abs(r.shift_lines - TRUE_SHIFT) < 5e-4
    naive = np.mean(np.concatenate([
        (np.angle(o.master_fwd * np.conj(o.slave_fwd) * np.conj(o.master_bwd * np.conj(o.slave_bwd)))
         / (2 * np.pi * o.doppler_difference_hz * DT)).ravel() for o in overlaps]))
    assert abs(naive - TRUE_SHIFT) > 10 * abs(r.shift_lines - TRUE_SHIFT)
    assert abs(naive - TRUE_SHIFT) > 5e-3


def test_doppler_difference_is_kt_times_burst_cycle(coherent):
    """Δf_ovl from the bursts' Doppler centroids is kt × the cycle (centre to centre); kt × the burst
    length (GMTSAR's) would overstate it by ~12 % and understate the shift by ~10 %."""
    o = coherent[0]
    np.testing.assert_allclose(o.doppler_difference_hz, np.broadcast_to(_kt(COLS) * CYCLE, o.master_fwd.shape),
                               rtol=1e-12)
    assert abs(np.median(o.doppler_difference_hz) / (KT * BURST_LENGTH) - 1) > 0.1
    right = esd_shift(coherent, max_prior_error_lines=0.02).shift_lines
    trap = [Overlap(o.master_fwd, o.slave_fwd, o.master_bwd, o.slave_bwd, _kt(COLS) * BURST_LENGTH, DT, burst=o.burst)
            for o in coherent]
    wrong = esd_shift(trap, max_prior_error_lines=0.02).shift_lines
    assert abs(right - TRUE_SHIFT) < 5e-4
    assert wrong / TRUE_SHIFT == pytest.approx(CYCLE / BURST_LENGTH, abs=0.02)  # ≈ 0.895: a 10.5 % bias
    assert abs(wrong - TRUE_SHIFT) > 2e-3


def test_ambiguity_limit(coherent):
    """|Δy| < 1/(2 |Δf| Δt) ≈ 0.054 lines: a looser coregistration is refused in one line; beyond the
    limit the phase wraps and the estimate would be plausible and wrong."""
    limit = coherent[0].ambiguity_lines
    assert limit == pytest.approx(1 / (2 * abs(KT) * 1.02 * CYCLE * DT), rel=1e-3)
    with pytest.raises(EsdError, match="unambiguous only for") as err:
        esd_shift(coherent, max_prior_error_lines=0.06)
    assert "\n" not in str(err.value)
    wrapped = esd_shift(_simulate(np.random.default_rng(3), shift_lines=0.07, n_overlaps=1),
                        max_prior_error_lines=0.0)
    period = 1 / (abs(KT) * CYCLE * DT)
    assert wrapped.shift_lines == pytest.approx(0.07 - period, abs=3e-3)  # the reason for the refusal


def test_outlier_overlap_rejected(coherent):
    """An overlap with a different shift (a burst timing jump) is rejected by the MAD test."""
    bad = _simulate(np.random.default_rng(5), shift_lines=-0.01, n_overlaps=1)[0]
    bad = Overlap(bad.master_fwd, bad.slave_fwd, bad.master_bwd, bad.slave_bwd, bad.doppler_difference_hz, DT,
                  burst=3)
    r = esd_shift([*coherent, bad], max_prior_error_lines=0.02)
    assert [o.rejected for o in r.per_overlap] == [False, False, False, True]
    assert abs(r.shift_lines - TRUE_SHIFT) < 5e-4
    assert r.pixels == 3 * LINES * COLS


def test_bad_input():
    z = np.zeros((4, 4), np.complex64)
    with pytest.raises(ValueError, match="four complex 2-D"):
        Overlap(z, z, z, np.zeros((4, 5), np.complex64), np.full(4, 4000.0), DT)
    with pytest.raises(ValueError, match="one sign"):
        Overlap(z, z, z, z, np.array([4000.0, -4000.0, 4000.0, 4000.0]), DT)
    ok = Overlap(z, z, z, z, np.full(4, 4400.0), DT)
    with pytest.raises(EsdError, match="no coherent samples"):
        esd_shift([ok], max_prior_error_lines=0.01)
