"""The slave-geometry table (dinsar.geometry.lookup) against per-pixel rdr2geo + geo2rdr, and the
one-pass interferogram kernel against its plain-numpy reference."""

import numpy as np
import pytest

from dinsar.geometry import lookup
from dinsar.kernels.interferogram import framed, interfere_multilook, interfere_multilook_numpy
from dinsar.simulate.pair import PairConfig, write_pair
from dinsar.steps.interferometry import open_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("lookup")
    write_pair(out, PairConfig(size=(300, 700), seed=4))
    return open_pair(next((out / "master").glob("*.SAFE")), next((out / "slave").glob("*.SAFE")), "VV")


def test_table_matches_per_pixel_geometry(pair):
    """Heights over 0..3 km with pixel-scale roughness (worse than any DEM): the table's slave line
    and column within 1e-6 px of solving every pixel (2 µm of range, 5e-4 rad of C-band phase)."""
    m, s = pair
    rng = np.random.default_rng(0)
    rows = np.arange(40, 300)[:, None]
    cols = np.arange(700)[None, :]
    h = 1500 + 1400 * np.sin(rows / 37.0) * np.cos(cols / 53.0) + rng.uniform(-100, 100, (260, 700))
    h[5, 7] = np.nan
    dl, dc = lookup.slave_offsets(m, s, 40, h)
    el, ec = lookup.slave_offsets_exact(m, s, 40, h)
    assert np.isnan(dl[5, 7]) and np.isnan(ec[5, 7]) and np.isfinite(dl).sum() == h.size - 1
    assert np.nanmax(np.abs(dl - el)) < 1e-6
    assert np.nanmax(np.abs(dc - ec)) < 1e-6
    # the pair has a baseline: the offsets do depend on the height (else the test proves nothing)
    assert np.nanstd(ec) > 0.01


def test_residual_and_absolute_positions(pair):
    """The coregistration's positions: table offsets + the grid's residual polynomial + the pixel."""
    from dinsar.interferometry.grid import Residual

    m, s = pair
    h = np.random.default_rng(3).uniform(500, 2500, (50, 700))
    model = Residual(2, (300.0, 700.0), np.array([0.1, -0.02, 0.03, 0.004, -0.005, 0.006]),
                     np.array([-0.2, 0.01, -0.03, 0.002, 0.007, -0.001]))
    el, ec = lookup.slave_offsets_exact(m, s, 100, h)
    ll, cc = np.mgrid[100:150, 0:700].astype(float)
    constant = Residual(0, (300.0, 700.0), np.array([0.31]), np.array([-0.22]))  # degree 0: a shift
    for residual in (model, constant):
        y, x = lookup.slave_offsets(m, s, 100, h, residual, absolute=True)
        rl, rc = residual(ll, cc)
        assert np.max(np.abs(y - (ll + el + rl))) < 1e-6 and np.max(np.abs(x - (cc + ec + rc))) < 1e-6


def test_table_of_a_flat_block(pair):
    m, s = pair
    h = np.full((17, 700), 812.5)
    dl, dc = lookup.slave_offsets(m, s, 0, h)
    el, ec = lookup.slave_offsets_exact(m, s, 0, h)
    assert np.max(np.abs(dl - el)) < 1e-6 and np.max(np.abs(dc - ec)) < 1e-6
    assert np.isnan(lookup.slave_offsets(m, s, 0, np.full((3, 700), np.nan))[0]).all()


def _images(rng, shape):
    m = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    s = (0.8 * m + 0.6 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))).astype(np.complex64)
    m[:, -5:] = 0  # zero fill along an edge
    s[40:44, 10:20] = 0  # a hole in the slave
    m[7, 9] = s[12, 30] = 0  # lone dark samples: valid
    phase = rng.uniform(-np.pi, np.pi, shape)
    phase[20, 20] = np.nan  # no ground point
    return m, s, phase


@pytest.mark.parametrize("naz,nrg", [(3, 3), (1, 1), (2, 5)])
def test_interferogram_kernel_matches_numpy(naz, nrg):
    rng = np.random.default_rng(1)
    m, s, phase = _images(rng, (61, 83))
    got = interfere_multilook(np.pad(m, 1), np.pad(s, 1), phase, naz, nrg)
    ref = interfere_multilook_numpy(m, s, phase, naz, nrg)
    # float64 sums in both, float32 output
    np.testing.assert_allclose(got[[0, 2, 3]], ref[[0, 2, 3]], rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(np.angle(np.exp(1j * (got[1] - ref[1]))), 0, atol=2e-5)
    assert 0 < ref[3].mean() < 1  # some looks lost to fill, a hole and the missing ground point


def test_interferogram_kernel_by_blocks_equals_the_whole():
    """Blocks read with the image's neighbouring lines give the whole image's result exactly
    (the zero-fill test sees across block edges)."""
    rng = np.random.default_rng(2)
    m, s, phase = _images(rng, (60, 83))
    s[29:31, 50:60] = 0  # a hole across the edge between two blocks
    m[30, 0] = 0  # a lone zero on the image's edge, first line of a block: valid (3 zeros around it)

    def read(a):
        return lambda r0, c0, nr, nc: a[r0:r0 + nr, c0:c0 + nc]

    whole = interfere_multilook(np.pad(m, 1), np.pad(s, 1), phase, 3, 3)
    parts = [interfere_multilook(framed(read(m), f, 15, 81, m.shape), framed(read(s), f, 15, 81, s.shape),
                                 phase[f:f + 15, :81], 3, 3) for f in range(0, 60, 15)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole[:, :, :27])
    with pytest.raises(ValueError, match="do not frame"):
        interfere_multilook(m, s, phase, 3, 3)


def test_columns_only_and_float32_heights_give_the_same_offsets(pair):
    """What the interferogram asks (columns only, its float32 height band) is what the full call returns."""
    m, s = pair
    h = np.random.default_rng(5).uniform(0, 3000, (37, 700)).astype(np.float32)
    h[3, 4] = np.nan
    dl, dc = lookup.slave_offsets(m, s, 10, h.astype(np.float64))
    none, dc32 = lookup.slave_offsets(m, s, 10, h, lines=False)
    assert none is None and np.isfinite(dl).sum() == h.size - 1
    np.testing.assert_array_equal(dc32, dc)


def test_flattening_phase_is_the_two_ranges_difference(pair):
    """Against 4π/λ (R_first(col + dc_first) - R_second(col + dc_second)) from RadarGrid.slant_range, with
    the second grid sampled differently: within 1e-6 rad (the direct difference of two ~850 km ranges
    rounds to ~1e-10 m, 2e-8 rad)."""
    import dataclasses

    from dinsar.interferometry.flattening import flattening_phase

    m, s = pair
    gm, gs = m.radar_grid, dataclasses.replace(s.radar_grid, range_sampling_rate_hz=s.radar_grid.range_sampling_rate_hz
                                               * 0.9, near_range_time_s=s.radar_grid.near_range_time_s + 3e-7)
    rng = np.random.default_rng(6)
    dcs, dcf = rng.uniform(-40, 40, (2, 20, 900))
    dcs[1, 2] = np.nan
    cc = np.arange(900.0)
    lam = gm.wavelength_m
    want_master = 4 * np.pi / lam * (gm.slant_range(cc) - gs.slant_range(cc + dcs))
    want_ref = 4 * np.pi / lam * (gm.slant_range(cc + dcf) - gs.slant_range(cc + dcs))
    got_master = flattening_phase(gm, gs, lam, dcs.copy())
    got_ref = flattening_phase(gm, gs, lam, dcs.copy(), dcf.copy())
    assert np.isnan(got_master[1, 2]) and np.isnan(got_ref[1, 2])
    np.testing.assert_allclose(got_master, want_master, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got_ref, want_ref, rtol=0, atol=1e-6)
    assert np.nanstd(want_ref) > 100  # the offsets and the sampling matter here


def test_framed_reuses_its_array_and_clears_the_frame():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((50, 30)) + 1j).astype(np.complex64)

    def read(r0, c0, nr, nc):
        return a[r0:r0 + nr, c0:c0 + nc]

    buf = None
    for first, n in ((20, 20), (0, 20), (10, 20), (40, 10)):  # (0, 20) after (20, 20): its top row cleared
        fresh = np.pad(a, 1)[first:first + n + 2, :30]  # 28 columns + the frame
        got = framed(read, first, n, 28, a.shape, out=buf)
        np.testing.assert_array_equal(got, fresh)
        if buf is not None and buf.shape == got.shape:
            assert got is buf
        buf = got
