"""IW TOPS steps (paths in, paths out): merge one date's bursts onto one grid; coregister a slave on it with ESD.

    merge(safe, dst_json, dst_slc, ...)           one date: its bursts over the site, debursted and the
                                                  sub-swaths merged (dinsar.sensors.merged: the chain's
                                                  product from here on)
    coregister(master_safe, slave_safe, master_json, height_tif, dst_coreg, dst_esd, ...)
                                                  the slave's bursts resampled onto the master's merged grid:
                                                  geometry (both orbits + the DEM heights) + the ESD shift

Every sample is taken from its own burst, deramped, interpolated and reramped there
(dinsar.interferometry.tops_resample), the master's too: a merged pixel sits at a fractional position of
its sub-swath (the sub-swaths' first lines and near ranges are not whole intervals apart), and the
windowed sinc returns a sample unchanged at a whole position. The burst that supplies a merged line is the
master's deburst plan's (cut at the overlap's mid time, DESIGN.md TOPS), the same burst on both dates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry import lookup
from dinsar.geometry.radar import RadarGrid
from dinsar.geometry.tops import burst_carrier
from dinsar.interferometry.esd import EsdResult, Overlap, esd_shift
from dinsar.interferometry.tops_resample import HALO, resample_burst, slave_window
from dinsar.io import atomic, raster
from dinsar.logs import progress
from dinsar.settings import Tops, defaults
from dinsar.steps.common import set_threads

log = logging.getLogger(__name__)

BLOCK_LINES = 256
# a grid offset closer than this to a whole sample is one: the sinc would return the sample itself to
# within 1e-6 of its amplitude, and copying keeps the carrier exactly
WHOLE = 1e-6


def _scene(safe, polarisation, orbits, opts: Tops, crop: bool = True):
    from dinsar.sensors.iw import open_iw

    box = opts.box
    return open_iw(safe, polarisation or defaults().polarisation, orbits,
                   None if box is None else (box["lonmin"], box["latmin"], box["lonmax"], box["latmax"]), opts.swaths,
                   crop=crop)


def _merged_grid(scene) -> RadarGrid:
    p = scene.swaths[0].product
    g = scene.grid
    return RadarGrid(first_line_s=float(p.orbit.seconds(g.first_line_time)), line_interval_s=g.line_interval_s,
                     near_range_time_s=g.near_range_time_s, range_sampling_rate_hz=g.range_sampling_rate_hz,
                     wavelength_m=p.radar_grid.wavelength_m)


def _sidecar(scene, slc_name: str) -> dict:
    from dinsar.sensors.merged import FORMAT, footprint_of

    grid = _merged_grid(scene)
    mid = scene.swaths[len(scene.swaths) // 2].product
    orbit = scene.swaths[0].product.orbit
    sv = scene.swaths[0].product.state_vectors
    g = scene.grid
    return {
        "format": FORMAT, "name": scene.name, "source": str(scene.path), "mission": mid.mission,
        "swath": scene.swath_names, "polarisation": scene.polarisation,
        "first_line_time": str(np.datetime64(g.first_line_time, "ns")), "line_interval_s": g.line_interval_s,
        "near_range_time_s": g.near_range_time_s, "range_sampling_rate_hz": g.range_sampling_rate_hz,
        "wavelength_m": grid.wavelength_m, "shape": [g.lines, g.samples], "look_side": mid.look_side,
        "azimuth_pixel_spacing_m": mid.azimuth_pixel_spacing_m, "range_pixel_spacing_m": mid.range_pixel_spacing_m,
        "incidence_angle_mid_deg": mid.incidence_angle_mid_deg,
        # the least correlated neighbours' fraction would overstate the looks of the others: the largest
        "azimuth_bandwidth_fraction": max(s.product.azimuth_bandwidth_fraction for s in scene.swaths),
        "range_bandwidth_fraction": max(s.product.range_bandwidth_fraction for s in scene.swaths),
        "state_vectors": {"time": [str(t) for t in sv.time], "position": sv.position.tolist(),
                          "velocity": sv.velocity.tolist(), "source": sv.source},
        "footprint": footprint_of(scene, grid, orbit),
        "slc": slc_name,
        "placements": [{"swath": p.swath, "line_offset": p.line_offset, "col_offset": p.col_offset,
                        "columns": [p.first_col, p.stop_col],
                        "bursts": [b.name for b in scene.swath(p.swath).bursts],
                        "cuts": [{"before": c.before, "after": c.after, "line": c.line, "time": str(c.time)}
                                 for c in pl.cuts]}
                       for p, pl in zip(g.placements, g.plans, strict=True)],
    }


class _Bursts:
    """One sub-swath image of one date, read burst by burst: carriers and where each burst lies."""

    def __init__(self, product):
        self.product = product
        self.carriers = {}
        g = product.radar_grid
        self.dt = g.line_interval_s
        # burst-stacked line = time-line (line of the swath's zero-Doppler time grid) + shift[b]
        self.shift = {k: b.first_line - (float(product.orbit.seconds(b.azimuth_time)) - g.first_line_s) / self.dt
                      for k, b in enumerate(product.bursts)}

    def carrier(self, b: int):
        if b not in self.carriers:
            self.carriers[b] = burst_carrier(self.product, None, b)
        return self.carriers[b]

    @functools.cache  # noqa: B019 - one per image, a few bursts
    def valid_window(self, b: int) -> tuple[int, int, int, int]:
        """Burst b's valid lines (first, last, burst lines) and samples (first, last), closed intervals."""
        burst = self.product.bursts[b]
        good = np.flatnonzero(burst.first_valid_sample >= 0)
        return (int(good[0]), int(good[-1]), int(burst.first_valid_sample[good].max()),
                int(burst.last_valid_sample[good].min()))

    def sample_grid(self, reader, b: int, y0: float, x0: float, n: int, m: int) -> np.ndarray:
        """Burst b's samples on the n × m grid of whole steps from burst-stacked (y0, x0): a copy where the
        grid falls on the burst's own samples (the merge's nearest sub-swath: its offsets are 0), else
        deramped, interpolated, reramped."""
        if abs(y0 - round(y0)) < WHOLE and abs(x0 - round(x0)) < WHOLE:
            line, col = int(round(y0)), int(round(x0))
            v0, v1, s0, s1 = self.valid_window(b)
            first = self.carrier(b).first_line
            out = reader.read(Window(col, line, m, n))
            local = np.arange(line, line + n) - first
            out[(local < v0) | (local > v1)] = 0
            cols = np.arange(col, col + m)
            out[:, (cols < s0) | (cols > s1)] = 0
            return out
        yy, xx = np.meshgrid(y0 + np.arange(n), x0 + np.arange(m), indexing="ij")
        return self.sample(reader, b, yy, xx)

    def sample(self, reader, b: int, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Burst b's samples at burst-stacked positions (y, x) (2-D, float64): complex64 of their shape, 0 at NaN
        positions and outside the burst's valid lines and samples."""
        c = self.carrier(b)
        v0, v1, s0, s1 = self.valid_window(b)
        local = y - c.first_line
        inside = (local >= v0) & (local <= v1) & (x >= s0) & (x <= s1)  # NaN compares False
        out = np.zeros(y.shape, np.complex64)
        if not inside.any():
            return out
        yy, xx = np.where(inside, y, np.nan), np.where(inside, x, np.nan)
        l0, l1 = slave_window(yy, c)
        xs = xx[inside]
        c0 = max(0, int(math.floor(xs.min())) - HALO)
        c1 = min(c.samples, int(math.ceil(xs.max())) + HALO + 1)
        data = reader.read(Window(c0, l0, c1 - c0, l1 - l0))
        got = resample_burst(data, l0, c, yy, xx, self.dt, slave_first_col=c0)
        out[inside] = got[inside]
        return out


def merge(safe, dst_json=None, dst_slc=None, polarisation: str | None = None, orbits=None, opts: Tops | None = None,
          threads: int = 1) -> list[Path]:
    """One IW date merged: dst_json the merged product's sidecar (dinsar.sensors.merged; its SLC is named
    `<product>.tif` beside it), dst_slc that complex64 image on the merged grid (0 where no burst has a
    valid sample). Either may be None: a slave needs only its sidecar (its bursts are resampled from the
    SAFE onto the master's grid), the master both. With opts.box the grid is the box's columns only
    (dinsar.sensors.iw.box_columns), and only those are read and resampled."""
    set_threads(threads)
    opts = opts or defaults().tops
    scene = _scene(safe, polarisation, orbits, opts)
    g = scene.grid
    meta = _sidecar(scene, f"{scene.name}.tif")
    outs = [Path(p) for p in (dst_json, dst_slc) if p is not None]
    with atomic.outputs(*outs) as tmps:
        if dst_json is not None:
            tmps[0].write_text(json.dumps(meta, indent=1))
        if dst_slc is not None:
            _write_merged(scene, meta, tmps[-1])
    log.info("merged %s %s: %d bursts -> %dx%d%s", scene.name, scene.swath_names,
             sum(len(s.bursts) for s in scene.swaths), g.lines, g.samples, "" if dst_slc else " (sidecar only)")
    return outs


def _write_merged(scene, meta: dict, dst) -> None:
    from dinsar.sensors.merged import MergedProduct

    g = scene.grid
    images = [_Bursts(s.product) for s in scene.swaths]
    footprint = MergedProduct(Path(dst), meta).footprint
    # each sub-swath's orbit counts seconds from its own epoch (its own EOF subset): the merged grid's first
    # line in each one's seconds, never one sub-swath's seconds minus another's
    t0 = [float(i.product.orbit.seconds(g.first_line_time)) for i in images]
    with contextlib.ExitStack() as stack:
        opened = [stack.enter_context(s.product.open()) for s in scene.swaths]
        w = stack.enter_context(rasterio.open(dst, "w", **raster.geotiff_profile(g.lines, g.samples, np.complex64)))
        writes = stack.enter_context(raster.BackgroundWrites())
        w.gcps = raster.gcps_from_grid(footprint)
        for first, n in progress(raster.line_blocks(g.lines, BLOCK_LINES), "merged SLC", log):
            out = np.zeros((n, g.samples), np.complex64)
            for r in g.rectangles(first, n):
                img, p = images[r.swath], g.placements[r.swath]
                b = g.plans[r.swath].spans[r.span].index
                # the burst line from the times, not from the plan's whole-line starts: a burst may sit up
                # to deburst.LINE_TOLERANCE off its sub-swath's line grid, and a master sample 0.01 line off
                # its grid time would show 0.3 rad at a burst's edge (2π f_dc(η) δ Δt)
                y0 = r.row0 + (t0[r.swath] - img.product.radar_grid.first_line_s) / img.dt + img.shift[b]
                x0 = r.col0 - p.col_offset
                out[r.row0 - first:r.row1 - first, r.col0:r.col1] = img.sample_grid(
                    opened[r.swath], b, y0, x0, r.row1 - r.row0, r.col1 - r.col0)
            writes.submit(w.write, out, 1, window=Window(0, first, g.samples, n))


class _Heights:
    """The merged grid's DEM heights (m; NaN where the DEM was filled), read by window: a frame's whole
    height raster is 3 GB."""

    def __init__(self, ds):
        self.ds, self.shape = ds, (ds.height, ds.width)
        self.filled = int(ds.tags().get("FILLED_PIXELS", "0")) > 0

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        w = Window(c0, r0, c1 - c0, r1 - r0)
        h = self.ds.read(1, window=w).astype(np.float64)
        if self.filled:
            h[self.ds.read(2, window=w) == 1] = np.nan
        return h


class _LinesView:
    """The orbit and a zero-Doppler grid whose line 0 is one burst-stacked line of a sub-swath (what
    lookup.slave_offsets asks of a master)."""

    def __init__(self, img: _Bursts, burst: int, stacked_line: int):
        g = img.product.radar_grid
        self.orbit = img.product.orbit
        self.radar_grid = RadarGrid(first_line_s=g.first_line_s + (stacked_line - img.shift[burst]) * g.line_interval_s,
                                    line_interval_s=g.line_interval_s, near_range_time_s=g.near_range_time_s,
                                    range_sampling_rate_hz=g.range_sampling_rate_hz, wavelength_m=g.wavelength_m)


def _overlap(cut, plan, placement, m_img: _Bursts, s_img: _Bursts, m_reader, s_reader, heights,
             prior: float = 0.0) -> Overlap | None:
    """The ESD overlap of one cut: both master bursts' samples (whole positions: no interpolation) and the
    slave's two bursts resampled at the ground points of those samples (geometry only; each look's own
    sample times, which may differ by a fraction of a line between the two bursts)."""
    a, b = cut.overlap
    if b <= a:
        return None
    before, after = plan.span_of(cut.before), plan.span_of(cut.after)
    # valid samples of a cropped grid's plan are clamped to its window: the overlap pixels over the site only
    c0 = max(before.valid_samples[0], after.valid_samples[0])
    c1 = min(before.valid_samples[1], after.valid_samples[1])
    if c1 <= c0:
        return None
    n, cols = b - a, c1 - c0
    # the DEM heights of these pixels: the merged grid's nearest sample (a 0.5 px height step moves the
    # slave position by < 1e-4 px)
    rows = np.clip(np.round(np.arange(a, b) + placement.line_offset).astype(int), 0, heights.shape[0] - 1)
    hcols = np.clip(np.round(np.arange(c0, c1) + placement.col_offset).astype(int), 0, heights.shape[1] - 1)
    full = np.full((n, c1), np.nan)
    r0, h0 = int(rows.min()), int(hcols.min())
    block = heights.window(r0, int(rows.max()) + 1, h0, int(hcols.max()) + 1)
    full[:, c0:] = block[np.ix_(rows - r0, hcols - h0)]
    looks = []
    cc = np.arange(c0, c1)
    for span in (before, after):
        mline = m_img.product.bursts[span.index].first_line + (a - span.start)
        y_t, x = lookup.slave_offsets(_LinesView(m_img, span.index, mline), s_img.product, 0, full, absolute=True)
        master = m_reader.read(Window(c0, mline, cols, n))
        slave = s_img.sample(s_reader, span.slave_index, y_t[:, c0:] + s_img.shift[span.slave_index] + prior,
                             x[:, c0:])
        mc = m_img.carrier(span.index)
        doppler = mc.fdc[cc] + mc.kt[cc] * (mc.eta(np.arange(mline, mline + n))[:, None] - mc.eta_ref[cc])
        looks.append((master, slave, doppler))
    (mf, sf, ff), (mb, sb, fb) = looks
    both = (mf != 0) & (mb != 0) & (sf != 0) & (sb != 0)
    if not both.any():
        return None
    z = np.complex64(0)
    return Overlap.from_dopplers(np.where(both, mf, z), np.where(both, sf, z), np.where(both, mb, z),
                                 np.where(both, sb, z), ff, fb, m_img.dt, burst=cut.before)


def coregister(master_safe, slave_safe, master_json, height_tif, dst_coreg, dst_esd, polarisation: str | None = None,
               orbits=None, opts: Tops | None = None, threads: int = 1) -> list[Path]:
    """The slave's bursts resampled onto the master's merged grid (complex64, 0 where the pair has no valid
    sample), and the ESD estimate (dst_esd, JSON) applied in that resampling.

    Each merged pixel's slave position is its ground point (merged line/column, its DEM height) seen by
    the slave orbit, in the slave's burst that matches (by burst ID) the master burst supplying the pixel,
    moved along azimuth by the pair's ESD shift Δy (opts.esd "pair"; "off": none).
    """
    from dinsar.sensors.merged import open_merged

    set_threads(threads)
    opts = opts or defaults().tops
    m_scene = _scene(master_safe, polarisation, orbits, opts)
    # the slave's own range crop is of no use here (its pixels go onto the master's cropped grid), and a
    # sub-swath its geometry dropped at the box's edge, where the master's kept one, would be refused
    s_scene = _scene(slave_safe, polarisation, orbits, opts, crop=False)
    merged = open_merged(master_json, polarisation)
    plans, grid, matched = m_scene.pair_plans(s_scene)
    if (grid.lines, grid.samples) != merged.shape:
        raise DinsarError(f"{master_json}: {merged.shape[0]}x{merged.shape[1]} pixels, but the master's bursts over "
                          f"the site merge to {grid.lines}x{grid.samples}: a merged product of another selection")
    m_imgs = [_Bursts(s.product) for s in m_scene.swaths]
    s_imgs = [_Bursts(s_scene.swath(s.product.swath).product) for s in m_scene.swaths]
    with contextlib.ExitStack() as stack:
        heights = _Heights(stack.enter_context(rasterio.open(height_tif)))
        m_readers = [stack.enter_context(i.product.open()) for i in m_imgs]
        s_readers = [stack.enter_context(i.product.open()) for i in s_imgs]
        found = _esd(opts, plans, grid, m_imgs, s_imgs, m_readers, s_readers, heights)
        esd, passes = found if found is not None else (None, [])
        shift = esd.shift_lines if esd is not None else 0.0
        prof = raster.geotiff_profile(grid.lines, grid.samples, np.complex64)
        with atomic.outputs(dst_coreg, dst_esd) as (tc, te):
            with rasterio.open(tc, "w", **prof) as w, raster.BackgroundWrites() as writes:
                w.gcps = raster.gcps_from_grid(merged.footprint)
                for first, n in progress(raster.line_blocks(grid.lines, BLOCK_LINES), "coregistration", log):
                    out = np.zeros((n, grid.samples), np.complex64)
                    rects = grid.rectangles(first, n)
                    for k, img in enumerate(s_imgs):
                        mine = [r for r in rects if r.swath == k]
                        if not mine:
                            continue
                        c0, c1 = min(r.col0 for r in mine), max(r.col1 for r in mine)
                        h = np.full((n, c1), np.nan)  # the other sub-swaths' columns are not solved for
                        h[:, c0:] = heights.window(first, first + n, c0, c1)
                        y_t, x = lookup.slave_offsets(merged, img.product, first, h, absolute=True)
                        for r in mine:
                            b = plans[k].spans[r.span].slave_index
                            rows, cols = slice(r.row0 - first, r.row1 - first), slice(r.col0, r.col1)
                            out[rows, cols] = img.sample(s_readers[k], b, y_t[rows, cols] + img.shift[b] + shift,
                                                         x[rows, cols])
                    writes.submit(w.write, out, 1, window=Window(0, first, grid.samples, n))
                w.update_tags(ESD_SHIFT_LINES=repr(shift), MASTER=m_scene.name, SLAVE=s_scene.name)
            te.write_text(json.dumps(_esd_json(opts, esd, passes, matched), indent=1))
    log.info("coregistered %s onto %s (%s): ESD %s", s_scene.name, m_scene.name, m_scene.swath_names,
             "off" if esd is None else f"{esd.shift_lines:+.5f} ± {esd.std_lines:.5f} lines from {esd.pixels} pixels")
    return [Path(dst_coreg), Path(dst_esd)]


ESD_ITERATIONS = 2  # the second, on the slave resampled with the first shift, refines it (< 1e-4 lines)


def _esd(opts: Tops, plans, grid, m_imgs, s_imgs, m_readers, s_readers, heights) -> tuple[EsdResult, list] | None:
    """The pair's ESD shift, iterated: (the last estimate with the total shift, the shift of each pass)."""
    if opts.esd == "off":
        return None
    total, passes, result = 0.0, [], None
    given = [0]

    def overlaps(prior: float):
        # one at a time: esd_shift keeps each overlap's estimate only (a frame's overlaps hold ~3 GB)
        given[0] = 0
        for k, plan in enumerate(plans):
            for cut in plan.cuts:
                o = _overlap(cut, plan, grid.placements[k], m_imgs[k], s_imgs[k], m_readers[k], s_readers[k],
                             heights, prior=prior)
                if o is not None:
                    given[0] += 1
                    yield o

    def no_overlap(why: str) -> DinsarError:
        return DinsarError(f"{m_imgs[0].product.name}: ESD needs a burst overlap that both dates see; the pair "
                           f"has none {why}: widen the box or set tops.esd: off")

    if not any(c.overlap[1] > c.overlap[0] for plan in plans for c in plan.cuts):
        raise no_overlap("over the site (one burst per sub-swath?)")
    for it in range(ESD_ITERATIONS):
        # after a first pass the coregistration is known to its standard error, far inside the ambiguity
        prior = opts.max_prior_error_lines if it == 0 else max(10 * result.std_lines, 1e-3)
        try:
            result = esd_shift(overlaps(total), max_prior_error_lines=prior, looks=tuple(opts.esd_looks))
        except ValueError:
            if given[0]:
                raise
            raise no_overlap("with valid samples on both") from None
        passes.append(result.shift_lines)
        total += result.shift_lines
    per = tuple(dataclasses.replace(o, shift_lines=o.shift_lines + total - result.shift_lines)
                for o in result.per_overlap)
    return dataclasses.replace(result, shift_lines=total, per_overlap=per), passes


def _esd_json(opts: Tops, esd: EsdResult | None, passes: list, matched: dict) -> dict:
    pairs = {sw: [[m.name, s.name, m.index, s.index] for m, s in p] for sw, p in matched.items()}
    if esd is None:
        return {"esd": "off", "shift_lines": 0.0, "matched_bursts": pairs}
    return {
        "esd": opts.esd, "shift_lines": esd.shift_lines, "std_lines": esd.std_lines, "pixels": esd.pixels,
        "overlaps": [{"burst": o.burst, "shift_lines": o.shift_lines, "std_lines": o.std_lines, "pixels": o.pixels,
                      "ambiguity_lines": o.ambiguity_lines, "rejected": o.rejected} for o in esd.per_overlap],
        "per_burst_lines": {str(k): v for k, v in esd.per_burst().items()},
        "passes_lines": passes, "looks": list(opts.esd_looks), "max_prior_error_lines": opts.max_prior_error_lines,
        "matched_bursts": pairs,
    }
