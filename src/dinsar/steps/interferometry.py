"""Interferometric steps of a pair: deformation grid, coregistration, interferogram (paths in, paths out)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry import lookup
from dinsar.geometry.multilook import MultilookGrid
from dinsar.geometry.radar import C
from dinsar.interferometry import offsets
from dinsar.interferometry.flattening import flattening_phase
from dinsar.interferometry.grid import CoregistrationError, Residual, fit_residual, geometric_offsets
from dinsar.interferometry.tops_resample import resample_burst
from dinsar.io import atomic, describe, raster
from dinsar.io.raster import read_xyz
from dinsar.kernels.interferogram import framed, interfere_multilook
from dinsar.kernels.resample import HALF, resample
from dinsar.layout import acquisition_start
from dinsar.logs import progress
from dinsar.sensors import SENSORS, sensor_of
from dinsar.settings import Coregistration, defaults
from dinsar.steps.common import open_chain_product, set_threads

log = logging.getLogger(__name__)

BLOCK_LINES = 256
INTERFEROGRAM_BANDS = (("amplitude", "1"), ("phase (rad)", "rad"), ("coherence", "1"), ("isData", "1"))


def _when(name: str) -> str:
    """YYYYMMDDTHHMMSS of a product from its name (any sensor's), else the name."""
    try:
        return "T".join(acquisition_start(name))
    except ValueError:
        return name


def open_pair(master_safe, slave_safe, polarisation: str, orbits=None):
    """Both products, refusing pairs that cannot form an interferogram (one line each).

    orbits: a folder of EOF files (each product takes the one covering it), or None.
    """
    a, b = sensor_of(master_safe), sensor_of(slave_safe)
    if a != b:
        raise DinsarError(f"{slave_safe}: a {SENSORS[b]} slave with a {SENSORS[a]} master; an interferogram "
                          "is made of one sensor's pair (mixed sensors are not supported)")
    m = open_chain_product(master_safe, polarisation, orbits)
    s = open_chain_product(slave_safe, polarisation, orbits)
    for what in ("mode", "swath", "polarisation"):
        a, b = getattr(m, what), getattr(s, what)
        if a != b:
            raise DinsarError(f"{slave_safe}: slave {what} {b} differs from the master's {a}")
    if m.name == s.name or (m.mission, m.start_time) == (s.mission, s.start_time):
        raise DinsarError(f"{slave_safe}: the slave is the master acquisition ({m.name})")
    if abs(C / m.radar_grid.wavelength_m - C / s.radar_grid.wavelength_m) > 1.0:  # radar frequencies (Hz)
        raise DinsarError(f"{slave_safe}: slave radar frequency differs from the master's")
    return m, s


def deformation_grid(master_safe, slave_safe, xyz_tif, dst_grid, dst_json, polarisation: str | None = None,
                     opts: Coregistration | None = None, orbits=None, dst_png=None, threads: int = 1) -> Path:
    """Slave -> master offsets on a grid of `opts.step` pixels: geometry (orbits + DEM) + correlation.

    opts: the config's `coregistration` section (None: its schema defaults). The correlations only
    fit a low-degree residual to the geometric offsets, so their number is capped: a large image
    takes a coarser step, giving at most `max_windows` windows (a full-size StripMap image would
    otherwise need ~250 000 at 64 px).

    grid.tif bands: line offset, column offset (slave - master) at the nodes, nodes at
    line/col = window/2 + k·step (tags GRID_STEP, GRID_FIRST); grid.json: windows kept,
    residual statistics and the residual polynomial the coregistration applies.
    """
    set_threads(threads)
    o = opts or defaults().coregistration
    window, degree, min_peak = o.window, o.degree, o.min_peak
    m, s = open_pair(master_safe, slave_safe, polarisation, orbits)
    lines, cols = m.shape
    half = window // 2
    step, node_l, node_c = offsets.node_grid((lines, cols), window, o.step, o.max_windows)
    if node_l.size < 2 or node_c.size < 2:
        raise CoregistrationError(f"{master_safe}: image {lines}x{cols} too small for {window}-px windows")
    nl, nc = np.meshgrid(node_l, node_c, indexing="ij")
    # the ground points of the nodes only: one line of xyz.tif per node row, not the whole raster
    xyz = np.stack([read_xyz(xyz_tif, Window(0, int(line), cols, 1))[:, 0, node_c].T for line in node_l])
    pred_l, pred_c = geometric_offsets(s, xyz, nl.astype(float), nc.astype(float))
    inside = offsets.inside_slave(nl, nc, pred_l, pred_c, s.shape, window)
    if inside.mean() < 0.1:
        raise CoregistrationError(f"{slave_safe}: the pair does not overlap "
                                  f"({int(inside.sum())} of {inside.size} grid nodes inside the slave)")
    meas_l, meas_c, peaks = offsets.measure_offsets(m, s, nl, nc, pred_l, pred_c, window, min_peak, where=inside)
    res_l, res_c = meas_l - pred_l, meas_c - pred_c
    good = np.isfinite(res_l)
    needed = int(max(6, 0.05 * inside.sum()))
    if good.sum() < needed:
        raise CoregistrationError(f"{slave_safe}: only {int(good.sum())} usable correlation windows (peak >= "
                                  f"{min_peak}) of {int(inside.sum())}; at least {needed} needed")
    model, kept = fit_residual(nl.astype(float), nc.astype(float), res_l, res_c, degree, (lines, cols))
    fit_l, fit_c = model(nl, nc)
    rms = float(np.sqrt(np.mean((res_l - fit_l)[kept] ** 2 + (res_c - fit_c)[kept] ** 2)))
    stats = {
        "master": m.name, "slave": s.name, "step": step, "window": window, "degree": degree,
        "nodes": int(nl.size), "inside": int(inside.sum()), "above_threshold": int(good.sum()),
        "kept": int(kept.sum()), "residual_rms_px": rms,
        "median_peak": float(np.median(peaks[inside])), "residual": model.to_json(),
        "mean_offset_px": {"line": float(np.nanmean(pred_l + fit_l)),
                           "col": float(np.nanmean(pred_c + fit_c))},
    }
    with atomic.outputs(dst_grid, dst_json, *([dst_png] if dst_png else [])) as (tg, tj, *tp):
        prof = raster.geotiff_profile(nl.shape[0], nl.shape[1], np.float32, count=2, nodata=np.nan)
        with rasterio.open(tg, "w", **prof) as w:
            w.write(np.stack([pred_l + fit_l, pred_c + fit_c]).astype(np.float32))
            w.update_tags(GRID_STEP=str(step), GRID_FIRST=str(half))
            w.set_band_description(1, "slave line - master line")
            w.set_band_description(2, "slave column - master column")
        tj.write_text(json.dumps(stats, indent=1))
        if tp:
            from dinsar.io import plots

            plots.offsets_png(tp[0], node_l, node_c, pred_l + fit_l, pred_c + fit_c, res_l - fit_l, res_c - fit_c,
                              kept, f"{_when(s.name)} -> {_when(m.name)}: {int(kept.sum())}/{int(inside.sum())} "
                              f"windows kept, residual rms {rms:.4f} px")
    log.info("grid %s -> %s: %d/%d windows kept, residual rms %.4f px", s.name, m.name, kept.sum(),
             inside.sum(), rms)
    return Path(dst_grid)


def coregister(master_safe, slave_safe, height_tif, grid_json, dst, polarisation: str | None = None,
               doppler_json=None, orbits=None, threads: int = 1) -> Path:
    """Resample the slave onto the master grid (complex64 tiled GeoTIFF), by blocks of lines.

    Slave position of each master pixel: its ground point (at its height from the DEM projection,
    height_tif) seen by the slave orbit (dinsar.geometry.lookup), plus the residual polynomial of
    the deformation grid; 12-tap windowed sinc with Doppler
    demodulation at the Doppler centroid measured from the data (Doppler0, `doppler_json`), or
    else the slave's annotated one. A Spotlight slave (its `azimuth_carrier`) is deramped with its
    own carrier, resampled at baseband and reramped at the positions read (dinsar.geometry.spotlight).
    """
    set_threads(threads)
    m, s = open_pair(master_safe, slave_safe, polarisation, orbits)
    model = Residual.from_json(json.loads(Path(grid_json).read_text())["residual"])
    lines, cols = m.shape
    gs = s.radar_grid
    carrier = s.azimuth_carrier
    if carrier is not None:
        f_dc = 0.0  # the carrier holds the slave's centroid, along azimuth too
    elif doppler_json is not None:
        f_dc = float(json.loads(Path(doppler_json).read_text())["doppler_hz"])
    else:  # the slave's model at mid swath; a product annotating none is zero-Doppler
        mid_range = gs.near_range_time_s + s.shape[1] / 2 / gs.range_sampling_rate_hz
        f_dc = float(s.doppler_centroid(mid_range)) if s.doppler_centroid else 0.0
    prof = raster.geotiff_profile(lines, cols, np.complex64)
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w, \
            s.open() as sr, rasterio.open(height_tif) as hr, raster.BackgroundWrites() as writes:
        w.gcps = raster.gcps_from_grid(m.footprint)
        for first, n in progress(raster.line_blocks(lines, BLOCK_LINES), "coregistration", log):
            y, x = lookup.slave_offsets(m, s, first, hr.read(1, window=Window(0, first, cols, n)), model,
                                        absolute=True)
            finite = np.isfinite(y)
            if not finite.any():
                writes.submit(w.write, np.zeros((n, cols), np.complex64), 1, window=Window(0, first, cols, n))
                continue
            y0 = max(0, int(np.floor(np.nanmin(y))) - HALF - 1)
            y1 = min(s.shape[0], int(np.ceil(np.nanmax(y))) + HALF + 2)
            x0 = max(0, int(np.floor(np.nanmin(x))) - HALF - 1)
            x1 = min(s.shape[1], int(np.ceil(np.nanmax(x))) + HALF + 2)
            block = np.zeros((n, cols), np.complex64)
            if y1 > y0 and x1 > x0:
                src = sr.read(Window(x0, y0, x1 - x0, y1 - y0))
                if carrier is None:
                    block = resample(src, y0, x0, y, x, f_dc, gs.line_interval_s)
                else:  # Spotlight: at baseband between the slave's own deramp and reramp
                    block = resample_burst(src, y0, carrier, y, x, gs.line_interval_s, slave_first_col=x0)
                block[~finite] = 0
            writes.submit(w.write, block, 1, window=Window(0, first, cols, n))
    if carrier is None:
        log.info("coregistered %s onto %s (Doppler %.1f Hz)", s.name, m.name, f_dc)
    else:
        mid = carrier.samples // 2
        log.info("coregistered %s onto %s (Spotlight: deramped with its own carrier, sweep %.0f Hz/s and "
                 "centroid %.1f Hz at mid scene)", s.name, m.name, carrier.kt[mid], carrier.fdc[mid])
    return Path(dst)


def interferogram(master_safe, slave_safe, slave_coreg, height_tif, dst, looks=None, polarisation: str | None = None,
                  dst_png_phase=None, dst_png_coherence=None, orbits=None, reference_safe=None,
                  reference_coreg=None, threads: int = 1) -> Path:
    """Flattened interferogram, multilooked: DiapOTB's 4-band GeoTIFF (amplitude, phase, coherence, isData).

    I = m · conj(s) · exp(+j4π(R_m(P) - R_s(P))/λ), P each master pixel's ground point (its height
    from the DEM projection, height_tif; dinsar.geometry.lookup), so the flat-earth and topographic
    phase are gone. In a stack, a slave-slave pair takes the place of m
    with the reference slave coregistered on the master grid (reference_coreg, its product
    reference_safe for R_m). Then, over naz × nrg looks:
    phase = arg Σ I, coherence = |Σ I| / sqrt(Σ|m|² Σ|s|²), amplitude = (Σ|m|² Σ|s|²)^(1/4) / sqrt(N),
    isData = 1 where every sample had a master, a slave and a ground point on the DEM, not in a
    filled DEM hole (zero fill is no data, a lone zero sample is a dark valid one). One pass per
    block (dinsar.kernels.interferogram).
    """
    set_threads(threads)
    m, s = open_pair(master_safe, slave_safe, polarisation, orbits)
    ref = None
    if reference_coreg is not None:
        _, ref = open_pair(master_safe, reference_safe, polarisation, orbits)
        if ref.name == s.name:
            raise DinsarError(f"{slave_safe}: the pair's two products are the same acquisition")
    first, second = ref or m, s
    if second.start_time < first.start_time:
        log.warning("%s: the slave (%s) was acquired before the master (%s): the LOS displacement R_master - "
                    "R_slave is then positive for motion away from the satellite between the two dates "
                    "(both dates are in the outputs' tags)", slave_safe, _day(second), _day(first))
    naz, nrg = (int(v) for v in (looks or defaults().multilook.looks))
    lines, cols = m.shape
    out_l, out_c = lines // naz, cols // nrg
    gm, gs = m.radar_grid, s.radar_grid
    wavelength = gm.wavelength_m
    block = max(naz, (BLOCK_LINES // naz) * naz)
    prof = raster.geotiff_profile(out_l, out_c, np.float32, count=4)
    width = out_c * nrg
    mb = sb = None  # the framed blocks, their arrays reused from block to block
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w, \
            (raster.open_samples(reference_coreg) if reference_coreg else m.open()) as mr, \
            raster.open_samples(slave_coreg) as sr, rasterio.open(height_tif) as hr:
        w.gcps = raster.gcps_from_grid(m.footprint, (naz, nrg))
        filled = int(hr.tags().get("FILLED_PIXELS", "0")) > 0
        for first in progress(range(0, out_l * naz, block), "interferogram", log):
            n = min(block, out_l * naz - first)
            h = hr.read(1, window=Window(0, first, width, n))
            if filled:  # a height interpolated over a DEM hole: its topographic phase is a guess
                h[hr.read(2, window=Window(0, first, width, n)) == 1] = np.nan
            flat = flattening_phase(gm if ref is None else ref.radar_grid, gs, wavelength,
                                    lookup.slave_offsets(m, s, first, h, lines=False)[1],
                                    None if ref is None else lookup.slave_offsets(m, ref, first, h, lines=False)[1])
            mb, sb = (framed(lambda r0, c0, nr, nc, src=src: src.read(Window(c0, r0, nc, nr)),
                             first, n, width, (lines, cols), out=buf)
                      for src, buf in ((mr, mb), (sr, sb)))
            bands = interfere_multilook(mb, sb, flat, naz, nrg)
            w.write(bands, window=Window(0, first // naz, out_c, n // naz))
        describe.describe(w, "interferogram", INTERFEROGRAM_BANDS, pair_tags(ref or m, s),
                          MultilookGrid.of_product(m, (naz, nrg), (lines, cols)).tags(),
                          describe.config_tags({"multilook": {"looks": [naz, nrg]}}))
    if dst_png_phase or dst_png_coherence:
        from dinsar.io import plots

        if dst_png_phase:
            plots.save(plots.interferogram_phase_figure(dst), dst_png_phase)
        if dst_png_coherence:
            plots.save(plots.coherence_figure(dst), dst_png_coherence)
    log.info("interferogram %s x %s: %dx%d looks -> %dx%d", (ref or m).name, s.name, naz, nrg, out_l, out_c)
    return Path(dst)


def _day(product) -> str:
    return str(product.start_time.astype("M8[D]"))


def pair_tags(master, slave) -> dict:
    """What a pair product says of itself: the two acquisitions and the sign of its displacement."""
    return {"MASTER": master.name, "SLAVE": slave.name,
            "MASTER_TIME": str(master.start_time.astype("M8[ms]")),
            "SLAVE_TIME": str(slave.start_time.astype("M8[ms]")),
            "MASTER_PLATFORM": master.mission, "SLAVE_PLATFORM": slave.mission,
            "MODE": master.mode, "POLARISATION": master.polarisation,
            "WAVELENGTH_M": repr(master.radar_grid.wavelength_m),
            "LOS_SIGN": "positive toward the satellite: d = R(master) - R(slave) = -wavelength * phase / (4 pi), "
                        "positive when the ground is nearer the satellite at the slave's date than at the master's"}
