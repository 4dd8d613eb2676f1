"""Unwrapping at scale: the batched Goldstein filter by blocks, multi-resolution unwrapping against an
analytic truth (clean: no error; noisy: few, no more than whole-image SNAPHU; no seams), and a working set
that does not grow with the scene."""

import dataclasses
import tracemalloc

import numpy as np
import pytest
import rasterio

from dinsar.geometry.multilook import MultilookGrid
from dinsar.interferometry import filter as whole_filter
from dinsar.interferometry import goldstein_blocks
from dinsar.interferometry import unwrap_multiscale as ms
from dinsar.io import describe, raster
from dinsar.settings import defaults
from dinsar.steps import unwrap as step


def _truth(shape, gain=1.0):
    """Ramps and two Mogi-like bumps: up to ~0.25 rad/pixel, ~25 fringes across."""
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx].astype(np.float64)
    phi = 0.03 * y + 0.07 * x
    for cy, cx, a, d in ((0.35 * ny, 0.4 * nx, 60.0, 0.18 * ny), (0.7 * ny, 0.7 * nx, -40.0, 0.12 * ny)):
        phi += a / (1 + ((y - cy) ** 2 + (x - cx) ** 2) / d**2) ** 1.5
    return gain * phi


def _write_ifg(path, phi, coherence=None, looks=9, seed=0, holes=True):
    """A 4-band multilooked interferogram (as the interferogram step writes it) of phase phi: noise-free
    without `coherence`, else the phase of `looks` looks of correlated circular Gaussian pairs."""
    ny, nx = phi.shape
    ok = np.ones(phi.shape, bool)
    if holes:
        y, x = np.mgrid[0:ny, 0:nx]
        ok &= (y - 0.6 * ny) ** 2 + (x - 0.3 * nx) ** 2 > (0.06 * ny) ** 2
        ok[:, :5] = False
    if coherence is None:
        z, coh = np.exp(1j * phi), np.full(phi.shape, 0.95)
    else:
        rng = np.random.default_rng(seed)

        def cn():
            return (rng.standard_normal((looks, ny, nx)) + 1j * rng.standard_normal((looks, ny, nx))) / np.sqrt(2)

        a = cn()
        b = coherence * a + np.sqrt(1 - coherence**2) * cn()
        z = np.sum(a * np.conj(b), axis=0) * np.exp(1j * phi)
        coh = np.abs(z) / np.sqrt(np.sum(np.abs(a) ** 2, 0) * np.sum(np.abs(b) ** 2, 0))
    bands = np.stack([np.abs(z), np.angle(z), coh, ok]).astype(np.float32)
    bands[:3, ~ok] = 0
    grid = MultilookGrid((3, 3), (ny * 3, nx * 3), float(looks))
    with rasterio.open(path, "w", **raster.geotiff_profile(ny, nx, np.float32, count=4)) as w:
        w.write(bands)
        describe.describe(w, "interferogram", [("b", "1")] * 4, {"WAVELENGTH_M": "0.0555"}, grid.tags())
    return ok


def _errors(unw_tif, phi):
    """Fraction of the unwrapped pixels off the truth by a multiple of 2π (both relative to the
    reference's 5×5 mean), and the unwrapped phase."""
    with rasterio.open(unw_tif) as src:
        unw, cc = src.read()
        r0, c0 = int(src.tags()["REFERENCE_LINE"]), int(src.tags()["REFERENCE_COL"])
    t = phi - phi[max(0, r0 - 2):r0 + 3, max(0, c0 - 2):c0 + 3].mean()
    ok = np.isfinite(unw)
    k = np.rint((unw - t) / (2 * np.pi))
    return float(np.mean(k[ok] != 0)), unw, cc


def _unwrap(tmp_path, name, **kw):
    u = dataclasses.replace(defaults().unwrap, **kw)
    step.filter_unwrap(tmp_path / "ifg.tif", tmp_path / f"{name}_f.tif", tmp_path / f"{name}_u.tif", unwrapping=u,
                       threads=2)
    return tmp_path / f"{name}_u.tif"


@pytest.mark.parametrize("shape, alpha, patch", [((300, 211), 0.5, 32), ((61, 90), 0.8, 16), ((20, 9), 0.3, 8)])
def test_batched_goldstein_is_the_filter_and_blocks_change_nothing(shape, alpha, patch):
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    z = (np.exp(1j * (0.1 * y + 0.3 * x)) + 0.5 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)))
    z = z.astype(np.complex64)
    z[5:9, 3:8] = 0
    ref = whole_filter.goldstein(z, alpha, patch)
    ours = goldstein_blocks.goldstein(z, alpha, patch)
    np.testing.assert_allclose(ours, ref, atol=2e-6 * np.abs(ref).max())
    assert not ours[5:9, 3:8].any()
    blocked = np.zeros_like(ours)
    for first, n, keep, m in goldstein_blocks.blocks(shape[0], 24, patch):
        assert first % (patch // 2) == 0 and n <= 24 + 2 * patch + patch // 2
        blocked[keep:keep + m] = goldstein_blocks.goldstein(z[first:first + n], alpha, patch)[keep - first:][:m]
    np.testing.assert_array_equal(blocked, ours)


def test_fine_cycles_of_a_coarse_ramp_are_exact_and_labels_are_the_nearest_coarse_pixels():
    """A linear ramp: the bilinear coarse phase (extrapolated at the borders) is exact at every fine pixel."""
    f = 4
    ny, nx = 37, 29
    y, x = np.mgrid[0:ny, 0:nx].astype(np.float64)
    phi = 0.25 * y - 0.2 * x  # 1 and 0.8 rad per coarse pixel
    cy, cx = np.mgrid[0:10, 0:8].astype(np.float64)
    coarse = 0.25 * (cy * f + 1.5) - 0.2 * (cx * f + 1.5)  # at the coarse pixel centres
    labels = np.ones((10, 8), np.uint32)
    labels[:, 6:] = 2
    psi = np.angle(np.exp(1j * phi))
    unw, cc = ms.fine_cycles(psi, np.ones((ny, nx), bool), 0, f, coarse, labels, np.ones((10, 8), bool))
    np.testing.assert_allclose(unw, phi, atol=1e-4)
    assert (cc[:, :24] == 1).all() and (cc[:, 24:] == 2).all()
    # a window at an offset gives the same values
    win, _ = ms.fine_cycles(psi[9:20, 5:17], np.ones((11, 12), bool), 9, f, coarse, labels,
                            np.ones((10, 8), bool), first_col=5)
    np.testing.assert_array_equal(win, unw[9:20, 5:17])


def test_multiscale_on_a_clean_field_has_no_error(tmp_path, monkeypatch, caplog):
    """Up to 0.55 rad/pixel: 1, 2 and 4 looks resolve it; the automatic factor, which the size alone would
    make 6 here, is held at 3 by the fringe rate."""
    phi = _truth((600, 420))
    ok = _write_ifg(tmp_path / "ifg.tif", phi)
    monkeypatch.setattr(ms, "COARSE_PIXELS", 7000)
    for looks in (1, 2, 4, None):
        with caplog.at_level("INFO"):
            err, unw, cc = _errors(_unwrap(tmp_path, f"ms{looks}", coarse_looks=looks), phi)
        assert err == 0, looks
        if looks is None:
            assert "(3x3 looks): SNAPHU" in caplog.text and "the coarse grid has 3× looks" in caplog.text
        assert np.isfinite(unw[ok]).all() and np.isnan(unw[~ok]).all()
        assert (cc[ok] > 0).mean() > 0.99 and (cc[~ok] == 0).all()


def test_multiscale_on_a_noisy_field_no_more_errors_than_whole_image_snaphu(tmp_path):
    ny, nx = 640, 448
    phi = _truth((ny, nx))
    y, x = np.mgrid[0:ny, 0:nx]
    coh = 0.85 - 0.55 * np.exp(-(((y - 0.2 * ny) / 60.0) ** 2 + ((x - 0.75 * nx) / 80.0) ** 2))  # a 0.3 patch
    _write_ifg(tmp_path / "ifg.tif", phi, coherence=coh, seed=3)
    whole, _, _ = _errors(_unwrap(tmp_path, "snaphu", method="snaphu"), phi)
    multi, unw, _ = _errors(_unwrap(tmp_path, "ms4", coarse_looks=4), phi)
    assert multi <= 1e-3 and multi <= whole + 1e-4
    # no seams: blocks of 64 lines give the same result, pixel for pixel
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(step, "BLOCK_LINES", 64)
        _, small_blocks, _ = _errors(_unwrap(tmp_path, "ms4_64", coarse_looks=4), phi)
    np.testing.assert_array_equal(small_blocks, unw)


def test_the_coarse_factor_follows_the_size_and_the_fringe_rate():
    assert ms.choose_factor((682, 682), 0.1) == 5  # the demo: as many looks as a 128-px coarse grid allows
    assert ms.choose_factor((682, 682), 0.5) == 4  # the fringe rate allows fewer
    assert ms.choose_factor((100, 700), 0.1) == 1  # too small to take looks
    assert ms.choose_factor((13333, 8333), 0.1) == 8  # 111 Mpixels -> <= 4 Mpixels, up to 8 looks
    assert ms.choose_factor((40000, 25000), 0.05) == 16  # 1 Gpixel: the size needs more than 8
    assert ms.choose_factor((13333, 8333), 0.8) == 2  # dense fringes: finer, whatever the size
    assert ms.choose_factor((13333, 8333), None) == 8
    rate = ms.FringeRate()
    y, x = np.mgrid[0:64, 0:80]
    rate.add(np.exp(1j * (0.3 * x + 0.1 * y)))
    assert rate.percentile() == pytest.approx(0.3, abs=0.01)


def test_the_working_set_does_not_grow_with_the_scene(tmp_path, monkeypatch):
    """Python's allocations (numpy's included) peak at a few blocks, not the image: twice the lines, about
    the same peak, under two float32 bands of the image (the 4-band input alone is four); reads go by
    blocks of at most BLOCK_LINES lines plus the filter's halo (or a row of tiles, for the fringe rate)."""
    monkeypatch.setattr(step, "BLOCK_LINES", 64)
    monkeypatch.setattr(ms, "COARSE_PIXELS", 20_000)
    heights = []
    original = rasterio.io.DatasetReader.read

    def read(self, *args, window=None, **kw):
        if window is not None:
            heights.append(window.height)
        return original(self, *args, window=window, **kw)

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", read)
    peaks = []
    for ny in (256, 2048, 4096):  # the first: one-time allocations (compiled kernels, caches)
        d = tmp_path / str(ny)
        d.mkdir()
        _write_ifg(d / "ifg.tif", _truth((ny, 640), gain=0.3))
        tracemalloc.start()
        step.filter_unwrap(d / "ifg.tif", d / "f.tif", d / "u.tif", threads=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert _errors(d / "u.tif", _truth((ny, 640), gain=0.3))[0] == 0
    band = 4096 * 640 * 4  # one float32 band of the larger image
    assert peaks[2] < 1.3 * peaks[1] and peaks[2] < 2 * band, peaks
    assert max(heights) <= max(64 + 2 * defaults().filter.patch, raster.TILE)


def test_whirlwind_without_its_package_is_one_clear_error(tmp_path, monkeypatch):
    import sys

    from dinsar.interferometry.unwrap import UnwrappingError

    _write_ifg(tmp_path / "ifg.tif", _truth((64, 64), gain=0.2), holes=False)
    monkeypatch.setitem(sys.modules, "whirlwind", None)  # as if not installed (an optional package)
    with pytest.raises(UnwrappingError, match="pip install whirlwind-insar"):
        _unwrap(tmp_path, "ww", method="whirlwind")
    assert not (tmp_path / "ww_u.tif").exists() and not (tmp_path / "ww_f.tif").exists()
