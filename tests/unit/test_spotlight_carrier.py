"""The Spotlight azimuth carrier (dinsar.geometry.spotlight): read from a simulated COSMO-SkyMed Spotlight
pair's metadata it brings the images' local azimuth spectrum to 0 Hz, and resampling between its deramp and
reramp (dinsar.interferometry.tops_resample) interpolates a sweeping signal that a plain resampler cannot.

References here are independent of the chain: the simulator's own sweep and ramp centre (truth.json), the
spectrum centre measured from the samples (the phase of the line-to-line autocorrelation), and a Fourier
shift of a band-limited signal for the resampling."""

import json

import numpy as np
import pytest

from dinsar.geometry.spotlight import SpotlightCarrier
from dinsar.interferometry.tops_resample import resample_burst
from dinsar.kernels.resample import resample
from dinsar.sensors import cosmo
from dinsar.simulate import cosmo_pair
from dinsar.simulate.config import PairConfig

SIZE = (256, 128)
BLOCK = 32  # lines per spectrum-centre estimate


@pytest.fixture(scope="module")
def spot_pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("spot")
    summary = cosmo_pair.write_cosmo_pair(out, PairConfig(size=SIZE, seed=5), generation=1, mode="SPOTLIGHT")
    return out, summary


def _centres_hz(img: np.ndarray, line_interval_s: float) -> np.ndarray:
    """Local azimuth spectrum centre (Hz, within ± half the line rate) of each BLOCK lines: the phase of
    Σ x[l+1] conj(x[l]) over the block."""
    acc = (img[1:] * np.conj(img[:-1]))
    n = (acc.shape[0] // BLOCK) * BLOCK
    sums = acc[:n].reshape(-1, BLOCK, acc.shape[1]).sum(axis=(1, 2))
    return np.angle(sums) / (2 * np.pi * line_interval_s)


def _wrap(f_hz, rate_hz):
    return (np.asarray(f_hz) + rate_hz / 2) % rate_hz - rate_hz / 2


@pytest.mark.parametrize("role", ["master", "slave"])
def test_the_carrier_from_the_metadata_brings_the_spectrum_to_baseband(spot_pair, role):
    out, truth = spot_pair
    (path,) = (out / role).glob("*.h5")
    p = cosmo.open_product(path)
    car = p.azimuth_carrier
    dt = p.radar_grid.line_interval_s
    rate = 1.0 / dt
    # the simulator's sweep: 1.5 line rates over the scene (cosmo_pair.SPOTLIGHT_SPAN_OF_PRF)
    assert truth["azimuth_sweep_hz_s"] == pytest.approx(-1.5 * rate * rate / SIZE[0])
    np.testing.assert_allclose(car.kt, truth["azimuth_sweep_hz_s"], rtol=1e-6)
    img = p.read()
    raw = _centres_hz(img, dt)
    base = _centres_hz(car.deramp(img, 0, 0), dt)
    # expected raw centre of each block: the simulator's k (t - t_c) at the block's middle, wrapped
    t = p.meta.first_line_s + (np.arange(raw.size) * BLOCK + BLOCK / 2) * dt
    expected = truth["azimuth_sweep_hz_s"] * (t - truth["ramp_centre_s"][path.name])
    # speckle and the 0.8 bandwidth leave ~1 % of the line rate of scatter on a 32 × 128 block
    np.testing.assert_allclose(_wrap(raw - expected, rate), 0.0, atol=0.03 * rate)
    # the raw centre sweeps over more than a line rate between the first and last blocks (1.5 × 192/256)
    assert np.ptp(np.unwrap(raw * 2 * np.pi * dt)) / (2 * np.pi * dt) > rate
    np.testing.assert_allclose(base, 0.0, atol=0.03 * rate)


def test_the_ramp_centres_are_on_the_same_ground(spot_pair):
    """A Spotlight antenna steers about one ground point: both dates' ramps are centred on it, so the slave's
    ramp centre is where the slave sees its master's (the slave starts slave_shift lines later, and its content
    is misregistered by `misregistration`), not the same line."""
    out, truth = spot_pair
    cfg = PairConfig(size=SIZE, seed=5)
    centres = truth["ramp_centre_s"]
    dt = truth["timing"]["line_interval_s"]
    (m,), (s,) = (out / "master").glob("*.h5"), (out / "slave").glob("*.h5")
    pm, ps = cosmo.open_product(m), cosmo.open_product(s)
    shift = -cfg.slave_shift[0] + cfg.misregistration["line"][0]
    line_m = (centres[m.name] - pm.meta.first_line_s) / dt
    line_s = (centres[s.name] - ps.meta.first_line_s) / dt
    assert line_s - line_m == pytest.approx(shift, abs=0.02)  # the misregistration's gradients: < 0.01 px
    assert json.loads((out / "truth" / "truth.json").read_text())["mode"] == "Spotlight"


def _band_limited(rng, lines: int, cols: int, fraction: float) -> np.ndarray:
    """Circular complex noise whose azimuth spectrum fills `fraction` of the line rate, centred at 0 Hz."""
    spec = np.fft.fft(rng.standard_normal((lines, cols)) + 1j * rng.standard_normal((lines, cols)), axis=0)
    f = np.fft.fftfreq(lines)
    spec[np.abs(f) > fraction / 2] = 0
    return spec, f


def test_resampling_between_deramp_and_reramp_follows_the_sweep():
    """A Spotlight-like signal (band-limited at 0.8 of the line rate, then the carrier of a sweep over 1.5 line
    rates) resampled 0.37 lines on: against the exact value from a Fourier shift of the baseband signal."""
    rng = np.random.default_rng(11)
    lines, cols, delta, dt = 512, 32, 0.37, 1.0 / 6870.0
    spec, f = _band_limited(rng, lines, cols, 0.8)
    base = np.fft.ifft(spec, axis=0)
    shifted = np.fft.ifft(spec * np.exp(2j * np.pi * f * delta)[:, None], axis=0)  # base(line + delta)
    car = SpotlightCarrier(lines=lines, mid_line=(lines - 1) // 2, line_interval_s=dt,
                           kt=np.full(cols, -1.5 / (lines * dt * dt)), fdc=np.full(cols, 120.0))
    ll = np.arange(lines, dtype=np.float64)[:, None] + np.zeros((1, cols))
    cc = np.zeros((lines, 1)) + np.arange(cols, dtype=np.float64)[None, :]
    eta = (ll + delta - car.mid_line) * dt
    exact = shifted * np.exp(1j * (np.pi * car.kt[0] * eta**2 + 2 * np.pi * car.fdc[0] * eta))
    data = (base * np.exp(1j * car.phase(ll, cc.astype(int)))).astype(np.complex64)
    y, x = ll + delta, cc
    inner = (slice(20, lines - 20), slice(8, cols - 8))  # away from the edges: the stencil, the periodic shift

    def rel_error(got):
        return float(np.sqrt(np.mean(np.abs(got[inner] - exact[inner]) ** 2) / np.mean(np.abs(exact[inner]) ** 2)))

    good = rel_error(resample_burst(data, 0, car, y, x, dt))
    plain = rel_error(resample(data, 0, 0, y, x, 0.0, dt))
    # measured 0.0067: the 12-tap kernel on a 0.8-bandwidth signal (its StripMap accuracy); without the
    # deramp 0.98: the part of each line's spectrum beyond the kernel's passband is lost or taken as its alias
    assert good < 0.02, good
    assert plain > 0.5, plain
