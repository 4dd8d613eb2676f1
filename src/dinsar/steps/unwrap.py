"""Unwrapping step of a pair: Goldstein filter and unwrapping, referenced to one pixel (paths in, paths out)."""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import atomic, describe, raster
from dinsar.logs import Progress
from dinsar.settings import Filter, Unwrap, defaults
from dinsar.steps.common import set_threads

log = logging.getLogger(__name__)

FILTERED_BANDS = (("Goldstein-filtered interferogram (complex; its phase in rad)", "1"),)
UNWRAPPED_BANDS = (("unwrapped phase - phase at the reference (rad)", "rad"),
                   ("SNAPHU connected component (0 = none)", "1"))
BLOCK_LINES = 512  # lines of the multilooked grid per block (rounded to the filter's patch grid)
SNAPHU_TILE = 2048  # methods snaphu and snaphu_tiles: SNAPHU tiles of at most this many pixels a side
REFERENCE_WINDOW = 9  # the reference: centre of the most coherent window² area of the main component
RATE_SAMPLE_PIXELS = 32_000_000  # multiscale's fringe rate: from about this many pixels (whole rows of tiles)


def filter_unwrap(ifg_tif, dst_filtered, dst_unwrapped, filtering: Filter | None = None,
                  unwrapping: Unwrap | None = None, dst_png=None, dst_unwrapped_png=None, threads: int = 1) -> Path:
    """Goldstein filter, then unwrapping (`unwrap.method`), referenced to one pixel. filtering,
    unwrapping: the config's `filter` and `unwrap` sections (None: their schema defaults).

    The filter streams blocks of lines (dinsar.interferometry.goldstein_blocks). The default method,
    multiscale (dinsar.interferometry.unwrap_multiscale), runs SNAPHU (coherence-weighted, 'defo' costs,
    `init` its initial flow) on a coarser-look copy of the filtered interferogram (`coarse_looks`, by
    default as many as the fringe rate allows, up to 8, and at least enough for <= 4 Mpixels) and takes
    each pixel's 2π cycles from it by blocks, so memory does not grow with the scene (but for the pixels
    to unwrap, kept as bits). snaphu, snaphu_tiles and whirlwind unwrap the whole image in memory
    (dinsar.interferometry.unwrap). Progress: INFO lines at about every 10 % of each pass.

    unwrapped.tif bands: unwrapped phase minus its 5×5 mean at the reference pixel (rad), the connected
    components; tags REFERENCE_LINE / REFERENCE_COL (multilooked grid). The reference is the given
    (line, col) or the centre of the most coherent 9×9 area of the largest component (multiscale: found
    on the coarse grid, then refined on the fine one). SNAPHU's equivalent number of looks and the
    multilook grid (carried into both outputs' tags) are the interferogram's (its tags,
    dinsar.geometry.multilook). Both outputs name each band and its unit and carry the interferogram's
    pair tags and the config that made them (dinsar.io.describe).
    """
    set_threads(threads)
    f, u = filtering or defaults().filter, unwrapping or defaults().unwrap
    mlgrid = MultilookGrid.from_raster(ifg_tif)
    if mlgrid.enl is None:
        raise DinsarError(f"{ifg_tif}: its multilook grid tags give no equivalent number of looks")
    with rasterio.open(ifg_tif) as src:  # the pair, its looks and the config it was made with, passed on
        tags = {**describe.carried(src.tags()), **mlgrid.tags()}
        gcps = src.gcps
        ny, nx = src.height, src.width
    t0 = time.perf_counter()
    with atomic.outputs(dst_filtered, dst_unwrapped) as (tf, tu):
        coarse = None
        if u.method == "multiscale":
            from dinsar.interferometry.unwrap_multiscale import Coarse

            coarse = Coarse((ny, nx), _coarse_factor(ifg_tif, u))
        with rasterio.open(tf, "w", **raster.geotiff_profile(ny, nx, np.complex64)) as w:
            if gcps[0]:
                w.gcps = gcps
            masks = _filter_pass(ifg_tif, w, f, u.min_coherence, threads, coarse)
            describe.describe(w, "filtered interferogram", FILTERED_BANDS, tags,
                              describe.config_tags({"filter": f}, tags))
        log.info("filtered %s (%d x %d) in %.1f s", ifg_tif, ny, nx, time.perf_counter() - t0)
        with rasterio.open(tu, "w", **raster.geotiff_profile(ny, nx, np.float32, count=2, nodata=np.nan)) as w:
            if gcps[0]:
                w.gcps = gcps
            if coarse is not None:
                reference, ncomp = _multiscale(ifg_tif, tf, w, u, mlgrid.enl, coarse, masks, threads)
            else:
                reference, ncomp = _in_memory(ifg_tif, tf, w, u, mlgrid.enl, threads)
            describe.describe(w, "unwrapped phase", UNWRAPPED_BANDS, tags,
                              describe.config_tags({"filter": f, "unwrap": u}, tags),
                              REFERENCE_LINE=str(reference[0]), REFERENCE_COL=str(reference[1]))
    if dst_png or dst_unwrapped_png:
        from dinsar.io import plots

        if dst_png:
            plots.save(plots.filtered_phase_figure(dst_filtered), dst_png)
        if dst_unwrapped_png:
            plots.save(plots.unwrapped_figure(dst_unwrapped), dst_unwrapped_png)
    log.info("unwrapped %s (%s): reference %s, %d components, %.1f s", ifg_tif, u.method, reference, ncomp,
             time.perf_counter() - t0)
    return Path(dst_unwrapped)


def _read_valid(src, window: Window, min_coherence: float):
    """Coherence and the pixels to unwrap (isData and coherence >= min_coherence) of a window."""
    coh, ok = src.read((3, 4), window=window)
    return coh, (ok > 0.5) & (coh >= min_coherence)


def _coarse_factor(ifg_tif, u: Unwrap) -> int:
    """multiscale's coarse looks: the configured ones, else from the size and the fringe rate of the
    interferogram (of every tile row, or every k-th so as to read about RATE_SAMPLE_PIXELS)."""
    from dinsar.interferometry.unwrap_multiscale import FringeRate, choose_factor

    if u.coarse_looks:
        return int(u.coarse_looks)
    with rasterio.open(ifg_tif) as src:
        ny, nx = src.height, src.width
        rate = FringeRate()
        stride = max(1, math.ceil(ny * nx / RATE_SAMPLE_PIXELS))
        rows = list(range(0, ny, stride * raster.TILE))
        progress = Progress("fringe rate", len(rows), log)
        for first in rows:
            win = Window(0, first, nx, min(raster.TILE, ny - first))
            amp, phase, coh, ok = src.read(window=win)
            rate.add(np.where((ok > 0.5) & (coh >= u.min_coherence), amp * np.exp(1j * phase), 0))
            progress.step()
    p995 = rate.percentile()
    factor = choose_factor((ny, nx), p995)
    log.info("fringe rate p99.5 %s rad/pixel: %dx%d coarse looks", "n/a" if p995 is None else f"{p995:.2f}",
             factor, factor)
    return factor


def _filter_pass(ifg_tif, w, f: Filter, min_coherence: float, threads: int, coarse=None):
    """The Goldstein-filtered interferogram into the open writer `w` by blocks of lines (`threads` blocks
    at a time); with `coarse` (multiscale), the coarse sums of the filtered pixels to unwrap too. Returns
    the blocks' (first line, lines, pixels to unwrap as packed bits)."""
    from dinsar.interferometry import goldstein_blocks

    step = math.lcm(f.patch // 2, coarse.factor if coarse is not None else 1)  # on the patch and coarse grids
    masks = []
    with rasterio.open(ifg_tif) as src:
        ny, nx = src.height, src.width
        parts = list(goldstein_blocks.blocks(ny, -(-BLOCK_LINES // step) * step, f.patch))
        progress = Progress("Goldstein filter" + (f" and {coarse.factor}x{coarse.factor} coarse sums"
                                                   if coarse is not None else ""), len(parts), log)

        def compute(first, keep, m, bands):
            amp, phase, coh, ok = bands
            z = np.where(ok > 0.5, amp * np.exp(1j * phase), 0).astype(np.complex64)
            out = goldstein_blocks.goldstein(z, alpha=f.alpha, patch=f.patch)[keep - first:keep - first + m]
            k = slice(keep - first, keep - first + m)
            valid = (ok[k] > 0.5) & (coh[k] >= min_coherence)
            if coarse is not None:
                coarse.add(keep, out, coh[k], valid)
            return out, np.packbits(valid, axis=1)

        with ThreadPoolExecutor(max(1, int(threads))) as pool:
            pending = []

            def drain(limit):
                while len(pending) > limit:
                    keep, m, fut = pending.pop(0)
                    out, packed = fut.result()
                    w.write(out, 1, window=Window(0, keep, nx, m))
                    masks.append((keep, m, packed))
                    progress.step()

            for first, n, keep, m in parts:
                bands = src.read(window=Window(0, first, nx, n))
                pending.append((keep, m, pool.submit(compute, first, keep, m, bands)))
                drain(max(1, int(threads)))
            drain(0)
    return masks


def _multiscale(ifg_tif, filtered_tif, w, u: Unwrap, enl: float, coarse, masks, threads: int):
    """Multi-resolution unwrapping into the open writer `w`: SNAPHU on the coarse sums, the reference,
    then the fine cycles by blocks. Returns the reference (line, col) and the number of components."""
    from dinsar.interferometry.unwrap import unwrap

    ny, nx = w.height, w.width
    factor = coarse.factor
    zc, gc, vc = coarse.inputs()
    t0 = time.perf_counter()
    log.info("coarse grid %d x %d (%dx%d looks): SNAPHU on %.2f Mpixels", *coarse.shape, factor, factor,
             zc.size / 1e6)
    cunw, ccc = unwrap(zc, gc, vc, enl * factor * factor, tile=None, init=u.init, nproc=threads)
    log.info("coarse SNAPHU: %.1f s, %d components", time.perf_counter() - t0, int(ccc.max()))
    solution = (factor, np.nan_to_num(cunw), ccc, vc)
    del zc
    with rasterio.open(ifg_tif) as src, rasterio.open(filtered_tif) as fsrc:

        def window(r0, n, c0, m):
            """Unwrapped phase (not yet referenced), components, coherence, pixels of a window."""
            win = Window(c0, r0, m, n)
            coh, valid = _read_valid(src, win, u.min_coherence)
            psi = np.angle(fsrc.read(1, window=win))
            unw, cc = _fine(psi, valid, r0, c0, solution)
            return unw, cc, coh, valid

        (r0, c0), offset = _multiscale_reference(u, gc, solution, window, (ny, nx))
        progress = Progress("fine cycles", len(masks), log)
        for first, n, packed in masks:
            win = Window(0, first, nx, n)
            valid = np.unpackbits(packed, axis=1, count=nx).astype(bool)
            unw, cc = _fine(np.angle(fsrc.read(1, window=win)), valid, first, 0, solution)
            unw -= np.float32(offset)
            w.write(np.stack([unw, cc.astype(np.float32)]), window=win)
            progress.step()
    return (r0, c0), int(ccc.max())


def _fine(psi, valid, r0, c0, solution):
    from dinsar.interferometry.unwrap_multiscale import fine_cycles

    factor, cunw, ccc, vc = solution
    return fine_cycles(psi, valid, r0, factor, cunw, ccc, vc, first_col=c0)


def _multiscale_reference(u: Unwrap, coarse_coherence, solution, window, shape):
    """The reference pixel and the unwrapped phase's 5×5 mean there. Given, or: the most coherent area of
    the main coarse component, refined to the most coherent 9×9 fine area around it."""
    from dinsar.interferometry.unwrap import UnwrappingError, pick_reference

    factor, _, ccc, _ = solution
    ny, nx = shape
    if u.reference:
        r0, c0 = (int(v) for v in u.reference)
        if not (0 <= r0 < ny and 0 <= c0 < nx):
            raise UnwrappingError(f"reference pixel {(r0, c0)} is outside the unwrapped area")
    else:
        ic, jc = pick_reference(coarse_coherence, ccc, REFERENCE_WINDOW)
        label = ccc[ic, jc]
        h = REFERENCE_WINDOW // 2 * factor
        wr0, wc0 = max(0, ic * factor - h), max(0, jc * factor - h)
        wr1, wc1 = min(ny, (ic + 1) * factor + h), min(nx, (jc + 1) * factor + h)
        _, cc, coh, valid = window(wr0, wr1 - wr0, wc0, wc1 - wc0)
        main = ((cc == label) & valid).astype(np.uint32)
        try:
            i, j = pick_reference(np.where(valid, coh, 0), main, REFERENCE_WINDOW)
            r0, c0 = wr0 + i, wc0 + j
        except UnwrappingError:  # no full window at the fine level: the coarse pixel's centre
            r0, c0 = min(ny - 1, ic * factor + factor // 2), min(nx - 1, jc * factor + factor // 2)
    a0, b0 = max(0, r0 - 2), max(0, c0 - 2)
    unw, _, _, _ = window(a0, min(ny, r0 + 3) - a0, b0, min(nx, c0 + 3) - b0)
    if not np.isfinite(unw[r0 - a0, c0 - b0]):
        raise UnwrappingError(f"reference pixel {(r0, c0)} is outside the unwrapped area")
    return (r0, c0), float(np.nanmean(unw))


def _in_memory(ifg_tif, filtered_tif, w, u: Unwrap, enl: float, threads: int):
    """Whole-image unwrapping (snaphu, snaphu_tiles, whirlwind) of the filtered interferogram into `w`."""
    from dinsar.interferometry.unwrap import UnwrappingError, pick_reference, unwrap, unwrap_whirlwind

    with rasterio.open(ifg_tif) as src:
        coh, ok = src.read((3, 4))
    with rasterio.open(filtered_tif) as src:
        filtered = src.read(1)
    valid = (ok > 0.5) & (coh >= u.min_coherence)
    del ok
    t0 = time.perf_counter()
    log.info("%s on the whole image (%d x %d)", u.method, *filtered.shape)
    if u.method == "whirlwind":
        unw, cc = unwrap_whirlwind(filtered, coh, valid, enl, nproc=threads)
    else:
        unw, cc = unwrap(filtered, coh, valid, enl, init=u.init, nproc=threads, tile=SNAPHU_TILE,
                         reoptimize=u.method == "snaphu")
    log.info("%s: %.1f s", u.method, time.perf_counter() - t0)
    del filtered, valid
    reference = tuple(int(v) for v in u.reference) if u.reference else pick_reference(coh, cc, REFERENCE_WINDOW)
    r0, c0 = reference
    if not (0 <= r0 < unw.shape[0] and 0 <= c0 < unw.shape[1]) or not np.isfinite(unw[r0, c0]):
        raise UnwrappingError(f"reference pixel {reference} is outside the unwrapped area")
    unw -= np.nanmean(unw[max(0, r0 - 2):r0 + 3, max(0, c0 - 2):c0 + 3])
    w.write(np.stack([unw, cc.astype(np.float32)]))
    return (r0, c0), int(cc.max())
