"""Geocoding step of a pair: LOS displacement, its unit vector, coherence and phase on a lon/lat grid."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import atomic, describe, raster
from dinsar.logs import progress
from dinsar.steps.common import open_chain_product, set_threads

GEOCODE_BLOCK_LINES = 256  # output rows per block; each reads only the radar window its nodes fall in
LOS_BANDS = (("LOS displacement toward the satellite (m)", "m"),)
ENU_BANDS = tuple((f"LOS unit vector ground->satellite, {name}", "1") for name in ("east", "north", "up"))
COHERENCE_BANDS = (("coherence", "1"),)
PHASE_BANDS = (("filtered wrapped phase (rad)", "rad"),)
# overviews of LOS, LOS vector and coherence: the mean of the valid nodes under each overview pixel (the
# COG driver's default, cubic, rings at the NaN edges and costs 20-35 % more of the copy: 33 Mpx LOS 1.1 s
# against 1.4 s, 3-band vector 1.8 s against 2.9 s); the wrapped phase: nearest, a mean across ±π is no phase
OVERVIEW_RESAMPLING = ("AVERAGE", "AVERAGE", "AVERAGE", "NEAREST")

log = logging.getLogger(__name__)


def geocode(master_safe, dem, unwrapped_tif, ifg_tif, dst_los, dst_enu, dst_coherence, polarisation: str | None = None,
            posting_deg: float | None = None, dem_vertical=None, geoid_dir=None,
            filtered_tif=None, dst_phase=None, dst_los_png=None, orbits=None, threads: int = 1) -> list[Path]:
    """LOS displacement (m, toward the satellite), its unit vector (E, N, U), the coherence and (given
    filtered_tif and dst_phase) the filtered wrapped phase, on a regular WGS84 lon/lat grid, as
    Cloud-Optimised GeoTIFFs.  d = -λ φ_unw / (4π). The wrapped phase is interpolated as a complex
    number (its real and imaginary parts), never across a 2π jump. The radar rasters' multilook grid
    is the interferogram's (its tags); the output grid and the radar window of each block of output
    rows come from dinsar.interferometry.geocode, the radar coordinates and LOS vectors of each block
    from exact solutions on a coarse grid (dinsar.interferometry.geocode_grid). Every output names each
    band and its unit and carries the pair's tags, the looks and the config that made it
    (dinsar.io.describe)."""
    from rasterio.shutil import copy as rio_copy

    from dinsar.geometry.dem import scene_dem
    from dinsar.interferometry.geocode import bilinear_many, output_grid, radar_window
    from dinsar.interferometry.geocode_grid import radar_coordinates_block

    set_threads(threads)
    product = open_chain_product(master_safe, polarisation, orbits)
    dem_grid = scene_dem(product, dem, dem_vertical, geoid_dir)
    wavelength = product.radar_grid.wavelength_m
    mlgrid = MultilookGrid.from_raster(ifg_tif)
    geo = output_grid(product, dem_grid, mlgrid, posting_deg)
    nx, ny = geo.nx, geo.ny
    with_phase = filtered_tif is not None and dst_phase is not None

    def radar_layers(first, last):
        """float32 LOS displacement, coherence and (with_phase) the filtered phase's cos/sin of the full-width
        multilooked rows first .. last - 1."""
        window = Window(0, first, mlgrid.shape[1], last - first)
        with rasterio.open(unwrapped_tif) as src:
            unw = src.read(1, window=window)
        with rasterio.open(ifg_tif) as src:
            coh, ok = src.read((3, 4), window=window)
        ok = ok > 0.5
        los_per_rad = np.float32(-wavelength / (4 * np.pi))
        layers = [np.where(ok & np.isfinite(unw), los_per_rad * unw, np.float32(np.nan)),
                  np.where(ok, coh, np.float32(np.nan))]
        if with_phase:
            with rasterio.open(filtered_tif) as src:
                z = src.read(1, window=window)
            z = np.where(ok, z / np.maximum(np.abs(z), np.float32(1e-30)), np.complex64(np.nan))
            layers += [z.real, z.imag]
        return np.stack(layers).astype(np.float32, copy=False)

    rows = _RowCache(radar_layers)

    outs = [Path(dst_los), Path(dst_enu), Path(dst_coherence)] + ([Path(dst_phase)] if with_phase else [])
    prof = dict(driver="GTiff", height=ny, width=nx, dtype="float32", crs="EPSG:4326", transform=geo.transform,
                tiled=True, blockxsize=256, blockysize=256, nodata=np.nan)
    work = [p.with_name(f".{p.stem}.work{os.getpid()}.tif") for p in outs]  # unique to this job
    with rasterio.open(ifg_tif) as ifg, rasterio.open(unwrapped_tif) as unwrapped:
        # the pair, its looks and the config of the steps before, passed on (the interferogram's pair
        # tags first: an unwrapped.tif of an earlier version has none)
        tags = {**describe.carried(ifg.tags(), geocoded=True), **describe.carried(unwrapped.tags(), geocoded=True)}
    tags.update(describe.config_tags({"geocode": {"posting_deg": posting_deg}, "dem_vertical": dem_vertical}, tags))
    try:
        with contextlib.ExitStack() as stack:
            # every work raster closed (flushed) even when a block fails: no dataset left open
            phase_writer = stack.enter_context(rasterio.open(work[3], "w", count=1, **prof)) if with_phase else None
            wl = stack.enter_context(rasterio.open(work[0], "w", count=1, **prof))
            we = stack.enter_context(rasterio.open(work[1], "w", count=3, **prof))
            wc = stack.enter_context(rasterio.open(work[2], "w", count=1, **prof))
            for first, n in progress(raster.line_blocks(ny, GEOCODE_BLOCK_LINES), "geocoding", log):
                lon, lat = geo.lonlat(first, n)
                y, x, enu = radar_coordinates_block(product, dem_grid, lon, lat, mlgrid)
                # the radar window these nodes fall in, read for this block only
                inside, box = radar_window(y, x, mlgrid.shape)
                vals = np.full((4 if with_phase else 2, n * nx), np.nan)
                if box is not None:
                    r0, r1 = box[:2]
                    vals[:, inside] = bilinear_many(rows.get(r0, r1), y[inside] - r0, x[inside])
                vals = vals.reshape(-1, n, nx)
                enu = enu.reshape(3, n, nx)
                enu[:, ~np.isfinite(vals[1])] = np.nan
                win = Window(0, first, nx, n)
                wl.write(vals[0].astype(np.float32), 1, window=win)
                wc.write(vals[1].astype(np.float32), 1, window=win)
                we.write(enu.astype(np.float32), window=win)
                if phase_writer is not None:
                    phase_writer.write(np.arctan2(vals[3], vals[2]).astype(np.float32), 1, window=win)
            if phase_writer is not None:
                describe.describe(phase_writer, "filtered phase (geocoded)", PHASE_BANDS, tags)
            describe.describe(wl, "LOS displacement", LOS_BANDS, tags)
            describe.describe(we, "LOS unit vector", ENU_BANDS, tags)
            describe.describe(wc, "coherence (geocoded)", COHERENCE_BANDS, tags)
        with atomic.outputs(*outs) as tmps:
            for src, tmp, resampling in zip(work, tmps, OVERVIEW_RESAMPLING[:len(work)], strict=True):
                # the COG driver compresses (and makes overviews) on the rule's threads. DEFLATE, the codec
                # every reader has, at level 1: 30 % faster than its default 6 on a geocoded LOS field, the
                # same size (the noise does not compress; 36 Mpx: 2.65 s against 3.8 s, 127 MB both)
                rio_copy(src, tmp, driver="COG", compress="DEFLATE", level=1, predictor=3, resampling=resampling,
                         num_threads=str(max(1, threads)))
    finally:
        for p in work:
            p.unlink(missing_ok=True)
    if dst_los_png:
        from dinsar.io import plots

        plots.save(plots.los_figure(outs[0]), dst_los_png)
    log.info("geocoded %s: %dx%d at %.6f°", product.name, ny, nx, geo.posting_deg)
    return outs


class _RowCache:
    """The radar layers of a band of full-width multilooked rows, kept from one block of output rows to the
    next: the lon/lat grid is skewed on the radar grid by the orbit's heading, so the radar windows of
    consecutive blocks overlap by most of their rows (on an IW frame each window spans ~2.5 blocks); each
    row is read and converted once instead of once per block that sees it. Holds one window at a time, as
    before (full width: the columns of a block's window are most of the width anyway)."""

    def __init__(self, read):
        self.read = read
        self.first = self.last = 0
        self.layers = None

    def get(self, first: int, last: int) -> np.ndarray:
        if self.layers is None or last <= self.first or first >= self.last:
            layers = self.read(first, last)
        else:  # blocks walk the radar rows either way (ascending or descending): new rows at either end
            parts = [self.layers[:, max(first, self.first) - self.first:min(last, self.last) - self.first]]
            if first < self.first:
                parts.insert(0, self.read(first, self.first))
            if last > self.last:
                parts.append(self.read(self.last, last))
            layers = np.concatenate(parts, axis=1)
        self.first, self.last, self.layers = first, last, layers
        return layers

