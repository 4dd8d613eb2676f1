"""A simulated pair's products against its truth: LOS displacement and wrapped phase (radar, multilooked grid)."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import atomic, raster

log = logging.getLogger(__name__)


BLOCK_ROWS = 256  # multilooked rows per block: the full-resolution truth is read by windows of these


def compare_truth(unwrapped_tif, ifg_tif, truth_dir, dst_json, min_coherence: float = 0.5,
                  reference_truth_dir=None, radar_grid_json=None) -> dict:
    """LOS displacement and wrapped phase against a simulated pair's truth (radar, multilooked grid).

    truth_dir: the master -> secondary truth; for a slave-slave pair of a stack, the truth is that
    minus the master -> reference one (reference_truth_dir). Both are taken relative to the
    unwrapping reference pixel; statistics over pixels with coherence >= min_coherence in the
    main connected component. The full-resolution truth is averaged over the interferogram's
    multilook grid (its tags). A truth on its own zero-Doppler grid (tags FIRST_LINE_TIME, LINE_INTERVAL_S,
    NEAR_RANGE_TIME_S, RANGE_SAMPLING_RATE_HZ: the IW simulator's, which no burst grid shares) is first
    interpolated (bilinear, in time and slant range) onto the master's grid, radar_grid_json (the DEM
    projection's sidecar).

    By blocks of multilooked rows (memory does not grow with the scene): one pass for the main
    component and the reference pixel, one for the LOS statistics and the mean phase residual, one for
    the residual's spread about that mean.
    """
    mlgrid = MultilookGrid.from_raster(ifg_tif)
    with rasterio.open(unwrapped_tif) as src:
        ref = (int(src.tags()["REFERENCE_LINE"]), int(src.tags()["REFERENCE_COL"]))
        if (src.height, src.width) != mlgrid.shape:
            raise DinsarError(f"{unwrapped_tif}: {src.height}x{src.width} pixels, not the interferogram's "
                              f"{mlgrid.shape[0]}x{mlgrid.shape[1]} ({ifg_tif})")
    wavelength = json.loads((Path(truth_dir) / "truth.json").read_text())["wavelength_m"]
    truths = [_TruthLos(Path(truth_dir), mlgrid.full_shape, radar_grid_json)]
    if reference_truth_dir is not None:
        truths.append(_TruthLos(Path(reference_truth_dir), mlgrid.full_shape, radar_grid_json))
    r0, c0 = ref
    rows, cols = mlgrid.shape
    with rasterio.open(unwrapped_tif) as unw_src, rasterio.open(ifg_tif) as ifg_src:

        def block(first: int, n: int, with_truth: bool = True):
            """(unw, cc, phase, coh, ok, d_true, d_est) of multilooked rows first .. first + n - 1."""
            win = Window(0, first, cols, n)
            unw, cc = unw_src.read(window=win)
            phase, coh, ok = ifg_src.read((2, 3, 4), window=win)
            d_true = None
            if with_truth:
                d_true = _looks_mean(truths[0].rows(first, n, mlgrid), mlgrid, n)
                if len(truths) > 1:
                    d_true -= _looks_mean(truths[1].rows(first, n, mlgrid), mlgrid, n)
            return unw, cc, phase, coh, ok > 0.5, d_true, -wavelength * unw.astype(np.float64) / (4 * np.pi)

        def blocks(with_truth: bool = True):
            for first, n in raster.line_blocks(rows, BLOCK_ROWS):
                yield block(first, n, with_truth)

        counts = np.zeros(1, np.int64)
        for _, cc, *_ in blocks(with_truth=False):
            c = np.bincount(cc[cc > 0].astype(np.int64).ravel())
            counts = np.pad(counts, (0, max(0, c.size - counts.size)))
            counts[:c.size] += c
        main_label = int(np.argmax(counts)) if counts[1:].any() else -1
        *_, d_true, d_est = block(r0, 1)
        at_ref = (d_est[0, c0], d_true[0, c0])

        def used(cc, coh, ok, d_true, d_est):
            return ok & (cc == main_label) & (coh >= min_coherence) & np.isfinite(d_true) & np.isfinite(d_est)

        def diffs(d_true, d_est):
            return (d_est - at_ref[0]) - (d_true - at_ref[1])

        n_use = n_ok = n_all = 0
        s1 = s2 = 0.0
        lo, hi, t_lo, t_hi = np.inf, -np.inf, np.inf, -np.inf
        z = 0j
        for _, cc, phase, coh, ok, d_true, d_est in blocks():
            use = used(cc, coh, ok, d_true, d_est)
            d = diffs(d_true, d_est)[use]
            n_use, n_ok, n_all = n_use + d.size, n_ok + int(ok.sum()), n_all + ok.size
            s1, s2 = s1 + float(d.sum()), s2 + float((d * d).sum())
            if d.size:
                lo, hi = min(lo, float(d.min())), max(hi, float(d.max()))
            if np.isfinite(d_true).any():
                t_lo, t_hi = min(t_lo, float(np.nanmin(d_true))), max(t_hi, float(np.nanmax(d_true)))
            z += complex(np.exp(1j * _residual(phase, d_true, wavelength)[use]).sum())
        if n_use == 0:
            raise DinsarError(f"{unwrapped_tif}: no pixel of coherence >= {min_coherence} in the main component to "
                              "compare with the truth")
        mean = s1 / n_use  # the reference pixel's own noise is a constant
        mean_phase = np.angle(z / n_use)
        r2 = 0.0
        for _, cc, phase, coh, ok, d_true, d_est in blocks():
            use = used(cc, coh, ok, d_true, d_est)
            r = np.angle(np.exp(1j * (_residual(phase, d_true, wavelength)[use] - mean_phase)))
            r2 += float((r * r).sum())
    result = {
        "pixels": int(n_use), "fraction": float(n_use / n_all),
        # of the pixels with data: an IW merge leaves corners no sub-swath covers (isData 0, not errors)
        "fraction_of_data": float(n_use / max(1, n_ok)),
        "los_rmse_mm": float(np.sqrt(max(0.0, s2 / n_use - mean * mean)) * 1000),
        "los_max_abs_mm": float(max(abs(hi - mean), abs(lo - mean)) * 1000),
        "wrapped_phase_residual_rms_rad": float(np.sqrt(r2 / n_use)),
        "truth_los_range_mm": [t_lo * 1000, t_hi * 1000],
        "reference": list(ref), "min_coherence": min_coherence,
    }
    with atomic.outputs(dst_json) as (tmp,):
        tmp.write_text(json.dumps(result, indent=1))
    log.info("LOS displacement vs truth: RMSE %.2f mm over %d pixels", result["los_rmse_mm"], result["pixels"])
    return result


def _residual(phase: np.ndarray, d_true: np.ndarray, wavelength: float) -> np.ndarray:
    """The interferogram's phase minus the truth's, wrapped."""
    return np.angle(np.exp(1j * (phase - (-4 * np.pi * d_true / wavelength))))


def _looks_mean(full: np.ndarray, mlgrid: MultilookGrid, n: int) -> np.ndarray:
    """Rows of full-resolution values averaged over the multilook blocks of n multilooked rows (NaN ignored)."""
    naz, nrg = mlgrid.looks
    nx = mlgrid.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a multilook block of NaN only is NaN
        return np.nanmean(full[:n * naz, :nx * nrg].reshape(n, naz, nx, nrg), axis=(1, 3))


TRUTH_GRID_TAGS = ("FIRST_LINE_TIME", "LINE_INTERVAL_S", "NEAR_RANGE_TIME_S", "RANGE_SAMPLING_RATE_HZ")


class _TruthLos:
    """The truth's LOS displacement (m) on the master's full-resolution grid, read by blocks of rows."""

    def __init__(self, truth_dir: Path, shape: tuple[int, int], radar_grid_json):
        self.path = truth_dir / "los_displacement.tif"
        self.shape = shape
        with rasterio.open(self.path) as src:
            tags, self.truth_shape = src.tags(), (src.height, src.width)
        self.own_grid = all(k in tags for k in TRUTH_GRID_TAGS)
        if not self.own_grid:
            return  # already on the master's grid (the StripMap simulator's)
        if radar_grid_json is None:
            raise DinsarError(f"{truth_dir}: the truth is on its own radar grid; the master's (radar_grid.json) is "
                              "needed")
        g = json.loads(Path(radar_grid_json).read_text())
        dt_ns = np.datetime64(g["first_line_time"], "ns") - np.datetime64(tags["FIRST_LINE_TIME"], "ns")
        t = dt_ns / np.timedelta64(1, "ns") * 1e-9 + np.arange(shape[0]) * g["line_interval_s"]
        self.truth_rows = t / float(tags["LINE_INTERVAL_S"])  # truth row of each master line
        self.truth_cols = ((g["near_range_time_s"] + np.arange(shape[1]) / g["range_sampling_rate_hz"])
                           - float(tags["NEAR_RANGE_TIME_S"])) * float(tags["RANGE_SAMPLING_RATE_HZ"])

    def full_rows(self, first: int, n: int) -> np.ndarray:
        """Master lines first .. first + n - 1 (float64, NaN where the truth does not reach)."""
        n = min(n, self.shape[0] - first)
        with rasterio.open(self.path) as src:
            if not self.own_grid:
                return src.read(1, window=Window(0, first, self.shape[1], n)).astype(np.float64)
            rows = self.truth_rows[first:first + n]
            last = self.truth_shape[0] - 1
            lo = int(np.clip(np.floor(rows.min()), 0, max(0, last - 1)))
            hi = int(np.clip(np.floor(rows.max()) + 2, lo + 2, last + 1))
            d = src.read(1, window=Window(0, lo, self.truth_shape[1], hi - lo)).astype(np.float64)
        out = _bilinear(d, rows - lo, self.truth_cols)
        out[(rows < 0) | (rows > last)] = np.nan
        return out

    def rows(self, first: int, n: int, mlgrid: MultilookGrid) -> np.ndarray:
        """The full-resolution rows under multilooked rows first .. first + n - 1."""
        naz = mlgrid.looks[0]
        return self.full_rows(first * naz, n * naz)


def _truth_los(truth_dir: Path, shape: tuple[int, int], radar_grid_json) -> np.ndarray:
    """The truth's LOS displacement (m) on the master's full-resolution grid, whole (tests, small scenes)."""
    return _TruthLos(truth_dir, shape, radar_grid_json).full_rows(0, shape[0])


def _bilinear(a: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """a at the outer product of fractional rows and columns; NaN outside."""
    r0 = np.clip(np.floor(rows).astype(int), 0, a.shape[0] - 2)
    c0 = np.clip(np.floor(cols).astype(int), 0, a.shape[1] - 2)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    out = ((1 - fr) * ((1 - fc) * a[np.ix_(r0, c0)] + fc * a[np.ix_(r0, c0 + 1)])
           + fr * ((1 - fc) * a[np.ix_(r0 + 1, c0)] + fc * a[np.ix_(r0 + 1, c0 + 1)]))
    outside = (rows < 0) | (rows > a.shape[0] - 1)
    out[outside] = np.nan
    out[:, (cols < 0) | (cols > a.shape[1] - 1)] = np.nan
    return out
