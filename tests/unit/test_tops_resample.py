"""TOPS resampling of a slave burst onto the master burst grid (dinsar.interferometry.tops_resample), on the
simulated IW pair (dinsar.simulate.tops).

The pair isolates the resampling: no baseline, no motion, a fractional burst synchronisation shift
(1.7 lines, 5.7 samples, so every sample is interpolated) and the simulator's injected azimuth timing
error δ = 0.025 lines. With the TRUE slave positions (truth offsets_iw2.tif, δ included) the coregistered
pair must be as coherent as simulated and carrier-free everywhere; with the geometry's positions (δ
left out) ESD on the burst overlaps must find δ again: the end-to-end check of carrier + resampling + ESD.
"""

import json

import numpy as np
import pytest
import rasterio

from dinsar.geometry.tops import burst_carrier
from dinsar.interferometry.esd import Overlap, esd_shift
from dinsar.interferometry.tops_resample import resample_burst, slave_window
from dinsar.kernels import resample as kr
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate.tops import IW_TIMING, IwPairConfig, write_iw_pair
from tests.conftest import AZORES_EOF

LPB, CYCLE = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
ATI = IW_TIMING["azimuth_time_interval_s"]
STATIC = {"lon": 55.72, "lat": -21.244, "depth_m": 2500.0, "dvolume_m3": 0.0}
EDGE = 8  # master lines/columns left out at the valid area's border: the slave stencil reaches invalid zeros


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("iw_resample")
    cfg = IwPairConfig(samples=256, bursts=3, seed=5, baseline_m=0.0, coherence=0.98, snr_db=40.0, mogi=STATIC,
                       orbit_file=str(AZORES_EOF))
    truth = write_iw_pair(out, cfg)
    truth = {**truth, **truth["swaths"]["IW2"]}  # the pair's values and IW2's (valid lines, samples)
    master = open_product(next((out / "master").glob("*.SAFE")), "VV", swath="IW2")
    slave = open_product(next((out / "slave").glob("*.SAFE")), "VV", swath="IW2")
    with rasterio.open(out / "truth" / "offsets_iw2.tif") as f:
        offsets = f.read().astype(np.float64)
    assert json.loads((out / "truth" / "truth.json").read_text())["injected_azimuth_error"]["lines"] == 0.025
    return dict(cfg=cfg, truth=truth, master=master, slave=slave, m=master.read(), s=slave.read(), offsets=offsets,
                carriers=[burst_carrier(slave, None, k) for k in range(cfg.bursts)])


def _columns(p):
    c0, c1 = p["truth"]["valid_samples"]
    return np.arange(c0 + EDGE, c1 - EDGE)


def _positions(p, lines, cols, error_lines=0.0):
    """Slave (line, column) of master pixels (stacked lines, columns): truth offsets (slave − master,
    δ included) minus `error_lines` (δ: the geometry's positions, blind to the timing error)."""
    off = p["offsets"][:, lines][:, :, cols]
    return lines[:, None] + off[0] - error_lines, cols[None, :] + off[1]


def _coregistered(p, k, lines, error_lines=0.0, deramp=True):
    """(master, slave resampled onto it) over master stacked lines `lines` of burst k."""
    cols = _columns(p)
    y, x = _positions(p, lines, cols, error_lines)
    c = p["carriers"][k]
    lo, hi = slave_window(y, c)
    if deramp:
        s = resample_burst(p["s"][lo:hi], lo, c, y, x, p["slave"].radar_grid.line_interval_s)
    else:  # the StripMap way: one Doppler centroid for the whole burst
        s = kr.resample(p["s"][lo:hi], lo, 0, y, x, float(np.mean(c.fdc)), ATI)
    return p["m"][lines][:, cols].astype(np.complex128), s.astype(np.complex128)


def _box(z, n):
    c = np.cumsum(np.cumsum(np.pad(z, ((1, 0), (1, 0))), 0), 1)
    return c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]


def _coherence(m, s, n=5):
    """Sample coherence over sliding n × n looks, and the multilooked interferogram."""
    ifg = _box(m * np.conj(s), n)
    return np.abs(ifg) / np.sqrt(_box(np.abs(m) ** 2, n) * _box(np.abs(s) ** 2, n)), ifg


def _burst_lines(p, k):
    first, stop = p["truth"]["valid_lines"]
    return np.arange(k * LPB + first + EDGE, k * LPB + stop - EDGE)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_deramped_resampling_keeps_the_coherence_everywhere(pair, k):
    """Coherence (5 × 5 looks) along the burst, with and without deramp. The burst's local Doppler
    sweeps ±2.4 kHz, ~10 PRFs: a single-f_dc kernel is right only where it is near f_dc (the middle
    tens of lines) and decorrelates elsewhere (measured: 0.775 in the first/last 100 lines, 0.925 in
    the middle 100, 0.978 in the middle 20); deramp → resample → reramp stays at the simulated 0.980
    (0.978, the same at the edges and the middle to 1e-3)."""
    expected = pair["truth"]["expected_coherence"]
    m, s = _coregistered(pair, k, _burst_lines(pair, k))
    g = _coherence(m, s)[0].mean(axis=1)
    mid = g.size // 2
    edges, middle = (g[:100].mean(), g[-100:].mean()), g[mid - 50:mid + 50].mean()
    assert min(edges) > expected - 0.006 and middle > expected - 0.006
    assert max(abs(e - middle) for e in edges) < 0.003
    assert g.min() > expected - 0.015

    m, s = _coregistered(pair, k, _burst_lines(pair, k), deramp=False)
    g0 = _coherence(m, s)[0].mean(axis=1)
    edges0, middle0 = (g0[:100].mean(), g0[-100:].mean()), g0[mid - 50:mid + 50].mean()
    centre0 = g0[mid - 10:mid + 10].mean()
    assert max(edges0) < 0.85 and middle0 > max(edges0) + 0.1
    assert centre0 > expected - 0.01  # where the local Doppler is f_dc the plain kernel is fine too
    assert min(edges) - max(edges0) > 0.15


@pytest.mark.parametrize("k", [0, 1, 2])
def test_interferogram_is_carrier_free(pair, k):
    """No baseline, no motion, true positions: m · conj(s) has no phase left but the noise. Its mean is
    0 (measured |φ| < 3e-4 rad), 100-line segments agree with it (< 3e-3 rad measured: a residual
    carrier would wind ~10³ rad over the burst), and the 5 × 5-look phase scatters as the noise says
    (0.042 rad measured: γ 0.98 over ~11 independent looks of the oversampled data)."""
    m, s = _coregistered(pair, k, _burst_lines(pair, k))
    ifg = m * np.conj(s)
    total = ifg.sum()
    assert abs(np.angle(total)) < 0.005
    segments = [np.angle(ifg[j:j + 100].sum() * np.conj(total)) for j in range(0, ifg.shape[0] - 99, 100)]
    assert np.max(np.abs(segments)) < 0.01
    ml = _coherence(m, s)[1]
    assert np.std(np.angle(ml * np.conj(ml.sum()))) < 0.06


def _overlap(p, k, error_lines):
    """The overlap of bursts k, k + 1 as ESD takes it, the slave resampled with positions δ short; the
    Doppler difference from the slave carriers' local frequency (1/2π dφ/dη) at each sample's position."""
    first, stop = p["truth"]["valid_lines"]
    fwd = np.arange(k * LPB + CYCLE + first + EDGE, k * LPB + stop - EDGE)
    bwd = fwd + LPB - CYCLE  # the same ground in burst k + 1
    mf, sf = _coregistered(p, k, fwd, error_lines)
    mb, sb = _coregistered(p, k + 1, bwd, error_lines)

    def local_doppler(c, lines):
        y, x = _positions(p, lines, _columns(p), error_lines)
        return (c.phase_at(y + 0.5, x) - c.phase_at(y - 0.5, x)) / (2 * np.pi * ATI)

    return Overlap.from_dopplers(mf, sf, mb, sb, local_doppler(p["carriers"][k], fwd),
                                 local_doppler(p["carriers"][k + 1], bwd), ATI, burst=k)


def test_esd_recovers_the_injected_timing_error(pair):
    """Positions from geometry alone (δ left out): the coregistered slave is late by δ, and ESD on the two
    overlaps of the resampled bursts gives δ back within 0.002 lines (measured 0.024992 ± 0.000024 for
    δ = 0.025); with the true positions it finds nothing (3e-7)."""
    delta = pair["truth"]["injected_azimuth_error"]["lines"]
    res = esd_shift([_overlap(pair, k, delta) for k in range(2)], max_prior_error_lines=0.03)
    assert res.shift_lines == pytest.approx(delta, abs=0.002)
    assert all(not o.rejected and abs(o.shift_lines - delta) < 0.001 for o in res.per_overlap)
    zero = esd_shift([_overlap(pair, k, 0.0) for k in range(2)], max_prior_error_lines=0.03)
    assert abs(zero.shift_lines) < 0.002


def test_blocks_of_master_lines_stream(pair):
    """A burst resampled in blocks of 200 master lines, each with its own slave window, is the whole burst
    resampled at once."""
    k, c = 1, pair["carriers"][1]
    lines, cols = _burst_lines(pair, k), _columns(pair)
    y, x = _positions(pair, lines, cols)
    lo, hi = slave_window(y, c)
    whole = resample_burst(pair["s"][lo:hi], lo, c, y, x, ATI)
    for a in range(0, lines.size, 200):
        yb, xb = y[a:a + 200], x[a:a + 200]
        lo, hi = slave_window(yb, c)
        assert hi - lo <= yb.shape[0] + 2 * 6 + 2  # the block's span plus the stencil, not the burst
        np.testing.assert_allclose(resample_burst(pair["s"][lo:hi], lo, c, yb, xb, ATI), whole[a:a + 200],
                                   rtol=0, atol=1e-3)


def test_integer_positions_give_the_samples_back(pair):
    """At whole-sample positions the kernel is the identity, so deramp and reramp must cancel exactly
    (complex64 rounding only): the convention adds back the very carrier it removed. NaN positions stay
    NaN; a window reaching into the next burst is refused; so is another line interval."""
    c = pair["carriers"][0]
    first, stop = pair["truth"]["valid_lines"]
    lines = np.arange(first + 10, first + 60)
    cols = np.arange(20, 200)
    y = np.repeat(lines[:, None] + 3.0, cols.size, axis=1)
    x = np.repeat(cols[None, :] - 2.0, lines.size, axis=0)
    y[0, 0] = np.nan
    lo, hi = slave_window(y, c)
    out = resample_burst(pair["s"][lo:hi], lo, c, y, x, ATI)
    ref = pair["s"][lines + 3][:, cols - 2]
    assert np.isnan(out[0, 0])
    np.testing.assert_allclose(out.ravel()[1:], ref.ravel()[1:], rtol=0, atol=2e-5 * np.abs(ref).max())
    with pytest.raises(ValueError, match="not all in burst"):
        resample_burst(pair["s"][LPB - 20:LPB + 20], LPB - 20, c, y + LPB - 60, x, ATI)
    with pytest.raises(ValueError, match="line interval"):
        resample_burst(pair["s"][lo:hi], lo, c, y, x, 2 * ATI)
