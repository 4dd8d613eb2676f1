"""A simulated pair's products against its truth: LOS displacement and wrapped phase (radar, multilooked grid)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import rasterio

from dinsar.errors import DinsarError
from dinsar.io import atomic, raster

log = logging.getLogger(__name__)


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
    """
    with rasterio.open(unwrapped_tif) as src:
        unw, cc = src.read()
        ref = (int(src.tags()["REFERENCE_LINE"]), int(src.tags()["REFERENCE_COL"]))
    _, phase, coh, ok, _, mlgrid = raster.read_interferogram(ifg_tif)
    truth_json = json.loads((Path(truth_dir) / "truth.json").read_text())
    wavelength = truth_json["wavelength_m"]
    d_full = _truth_los(Path(truth_dir), mlgrid.full_shape, radar_grid_json)
    if reference_truth_dir is not None:
        d_full -= _truth_los(Path(reference_truth_dir), mlgrid.full_shape, radar_grid_json)
    if unw.shape != mlgrid.shape:
        raise DinsarError(f"{unwrapped_tif}: {unw.shape[0]}x{unw.shape[1]} pixels, not the interferogram's "
                          f"{mlgrid.shape[0]}x{mlgrid.shape[1]} ({ifg_tif})")
    d_true = mlgrid.mean(d_full)
    d_est = -wavelength * unw / (4 * np.pi)
    labels, counts = np.unique(cc[cc > 0], return_counts=True)
    main = cc == labels[np.argmax(counts)] if labels.size else np.zeros_like(ok)
    use = ok & main & (coh >= min_coherence) & np.isfinite(d_true) & np.isfinite(d_est)
    r0, c0 = ref
    diff = (d_est - d_est[r0, c0]) - (d_true - d_true[r0, c0])
    diff = diff - np.nanmean(diff[use])  # the reference pixel's own noise is a constant
    phase_true = -4 * np.pi * d_true / wavelength
    resid = np.angle(np.exp(1j * (phase - phase_true)))
    resid = np.angle(np.exp(1j * (resid - np.angle(np.nanmean(np.exp(1j * resid[use]))))))
    result = {
        "pixels": int(use.sum()), "fraction": float(use.mean()),
        # of the pixels with data: an IW merge leaves corners no sub-swath covers (isData 0, not errors)
        "fraction_of_data": float(use.sum() / max(1, ok.sum())),
        "los_rmse_mm": float(np.sqrt(np.mean(diff[use] ** 2)) * 1000),
        "los_max_abs_mm": float(np.max(np.abs(diff[use])) * 1000),
        "wrapped_phase_residual_rms_rad": float(np.sqrt(np.mean(resid[use] ** 2))),
        "truth_los_range_mm": [float(np.nanmin(d_true) * 1000), float(np.nanmax(d_true) * 1000)],
        "reference": list(ref), "min_coherence": min_coherence,
    }
    with atomic.outputs(dst_json) as (tmp,):
        tmp.write_text(json.dumps(result, indent=1))
    log.info("LOS displacement vs truth: RMSE %.2f mm over %d pixels", result["los_rmse_mm"], result["pixels"])
    return result


TRUTH_GRID_TAGS = ("FIRST_LINE_TIME", "LINE_INTERVAL_S", "NEAR_RANGE_TIME_S", "RANGE_SAMPLING_RATE_HZ")


def _truth_los(truth_dir: Path, shape: tuple[int, int], radar_grid_json) -> np.ndarray:
    """The truth's LOS displacement (m) on the master's full-resolution grid."""
    with rasterio.open(truth_dir / "los_displacement.tif") as src:
        d = src.read(1).astype(np.float64)
        tags = src.tags()
    if not all(k in tags for k in TRUTH_GRID_TAGS):
        return d  # already on the master's grid (the StripMap simulator's)
    if radar_grid_json is None:
        raise DinsarError(f"{truth_dir}: the truth is on its own radar grid; the master's (radar_grid.json) is needed")
    g = json.loads(Path(radar_grid_json).read_text())
    dt_ns = np.datetime64(g["first_line_time"], "ns") - np.datetime64(tags["FIRST_LINE_TIME"], "ns")
    t = dt_ns / np.timedelta64(1, "ns") * 1e-9 + np.arange(shape[0]) * g["line_interval_s"]
    rows = t / float(tags["LINE_INTERVAL_S"])
    cols = ((g["near_range_time_s"] + np.arange(shape[1]) / g["range_sampling_rate_hz"])
            - float(tags["NEAR_RANGE_TIME_S"])) * float(tags["RANGE_SAMPLING_RATE_HZ"])
    return _bilinear(d, rows, cols)


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
