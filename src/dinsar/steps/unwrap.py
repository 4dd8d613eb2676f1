"""Unwrapping step of a pair: Goldstein filter and SNAPHU, referenced to one pixel (paths in, paths out)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import rasterio

from dinsar.errors import DinsarError
from dinsar.io import atomic, raster
from dinsar.settings import Filter, Unwrap, defaults
from dinsar.steps.common import set_threads

log = logging.getLogger(__name__)


def filter_unwrap(ifg_tif, dst_filtered, dst_unwrapped, filtering: Filter | None = None,
                  unwrapping: Unwrap | None = None, dst_png=None, dst_unwrapped_png=None, threads: int = 1) -> Path:
    """Goldstein filter, then SNAPHU (coherence-weighted, 'defo' costs, `init` its initial flow),
    referenced to one pixel. filtering, unwrapping: the config's `filter` and `unwrap` sections
    (None: their schema defaults).

    unwrapped.tif bands: unwrapped phase minus its value at the reference pixel (rad), SNAPHU's
    connected components; tags REFERENCE_LINE / REFERENCE_COL (multilooked grid). The reference
    is the given (line, col) or the most coherent 9×9 area of the largest component. SNAPHU's
    equivalent number of looks and the multilook grid (carried into both outputs' tags) are the
    interferogram's (its tags, dinsar.geometry.multilook).
    """
    from dinsar.interferometry.filter import goldstein
    from dinsar.interferometry.unwrap import UnwrappingError, pick_reference, unwrap

    set_threads(threads)
    f, u = filtering or defaults().filter, unwrapping or defaults().unwrap
    alpha, patch, min_coherence, init = f.alpha, f.patch, u.min_coherence, u.init
    reference = tuple(u.reference) if u.reference else None
    amp, phase, coh, ok, gcps, mlgrid = raster.read_interferogram(ifg_tif)
    if mlgrid.enl is None:
        raise DinsarError(f"{ifg_tif}: its multilook grid tags give no equivalent number of looks")
    ifg = np.where(ok, amp * np.exp(1j * phase), 0).astype(np.complex64)
    filtered = goldstein(ifg, alpha=alpha, patch=patch)
    valid = ok & (coh >= min_coherence)
    unw, cc = unwrap(filtered, coh, valid, mlgrid.enl, init=init, nproc=threads)
    if reference is None:
        reference = pick_reference(coh, cc)
    r0, c0 = reference
    if not (0 <= r0 < unw.shape[0] and 0 <= c0 < unw.shape[1]) or not np.isfinite(unw[r0, c0]):
        raise UnwrappingError(f"reference pixel {reference} is outside the unwrapped area")
    win = unw[max(0, r0 - 2):r0 + 3, max(0, c0 - 2):c0 + 3]
    unw = unw - np.nanmean(win)
    ny, nx = unw.shape
    with atomic.outputs(dst_filtered, dst_unwrapped) as (tf, tu):
        with rasterio.open(tf, "w", **raster.geotiff_profile(ny, nx, np.complex64)) as w:
            w.gcps = gcps
            w.write(filtered, 1)
            w.update_tags(**mlgrid.tags())
        with rasterio.open(tu, "w", **raster.geotiff_profile(ny, nx, np.float32, count=2, nodata=np.nan)) as w:
            w.gcps = gcps
            w.write(np.stack([unw, cc.astype(np.float32)]))
            w.update_tags(REFERENCE_LINE=str(r0), REFERENCE_COL=str(c0), **mlgrid.tags())
            w.set_band_description(1, "unwrapped phase - phase at the reference (rad)")
            w.set_band_description(2, "SNAPHU connected component (0 = none)")
    if dst_png:
        from dinsar.io import png

        bright = 0.25 + 0.75 * png.robust_stretch(amp).astype(np.float64) / 255.0
        rgb = png.cyclic_rgb(np.angle(filtered), bright)
        with rasterio.open(dst_png, "w", driver="PNG", height=ny, width=nx, count=3, dtype="uint8") as w:
            w.write(rgb)
    if dst_unwrapped_png:
        from dinsar.io import png

        png.write_diverging_png(dst_unwrapped_png, dst_unwrapped)
    log.info("unwrapped %s: reference %s, %d components", ifg_tif, reference, int(cc.max()))
    return Path(dst_unwrapped)


