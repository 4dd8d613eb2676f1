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
                  reference_truth_dir=None) -> dict:
    """LOS displacement and wrapped phase against a simulated pair's truth (radar, multilooked grid).

    truth_dir: the master -> secondary truth; for a slave-slave pair of a stack, the truth is that
    minus the master -> reference one (reference_truth_dir). Both are taken relative to the
    unwrapping reference pixel; statistics over pixels with coherence >= min_coherence in the
    main connected component. The full-resolution truth is averaged over the interferogram's
    multilook grid (its tags).
    """
    with rasterio.open(unwrapped_tif) as src:
        unw, cc = src.read()
        ref = (int(src.tags()["REFERENCE_LINE"]), int(src.tags()["REFERENCE_COL"]))
    _, phase, coh, ok, _, mlgrid = raster.read_interferogram(ifg_tif)
    truth_json = json.loads((Path(truth_dir) / "truth.json").read_text())
    wavelength = truth_json["wavelength_m"]
    with rasterio.open(Path(truth_dir) / "los_displacement.tif") as src:
        d_full = src.read(1).astype(np.float64)
    if reference_truth_dir is not None:
        with rasterio.open(Path(reference_truth_dir) / "los_displacement.tif") as src:
            d_full -= src.read(1).astype(np.float64)
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
