"""Interferometric steps of a pair: deformation grid, coregistration, interferogram (paths in, paths out)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry import lookup
from dinsar.geometry.multilook import MultilookGrid
from dinsar.geometry.radar import C
from dinsar.interferometry import offsets
from dinsar.interferometry.grid import CoregistrationError, Residual, fit_residual, geometric_offsets
from dinsar.io import atomic, raster
from dinsar.io.raster import read_xyz
from dinsar.kernels.interferogram import framed, interfere_multilook
from dinsar.kernels.resample import HALF, resample
from dinsar.steps.common import open_chain_product, set_threads

log = logging.getLogger(__name__)

BLOCK_LINES = 256
GEOCODE_BLOCK_LINES = 256  # output rows per block; each reads only the radar window its nodes fall in


def open_pair(master_safe, slave_safe, polarisation: str, orbits=None):
    """Both products, refusing pairs that cannot form an interferogram (one line each).

    orbits: a folder of EOF files (each product takes the one covering it), or None.
    """
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


def deformation_grid(master_safe, slave_safe, xyz_tif, dst_grid, dst_json, polarisation: str = "VV",
                     step: int = 64, window: int = 64, degree: int = 1, min_peak: float = 0.2,
                     orbits=None, dst_png=None, max_windows: int = 256, threads: int = 1) -> Path:
    """Slave -> master offsets on a grid of `step` pixels: geometry (orbits + DEM) + correlation.

    The correlations only fit a low-degree residual to the geometric offsets, so their number is
    capped: a large image takes a coarser step, giving at most `max_windows` windows (a full-size
    StripMap image would otherwise need ~250 000 at 64 px).

    grid.tif bands: line offset, column offset (slave - master) at the nodes, nodes at
    line/col = window/2 + k·step (tags GRID_STEP, GRID_FIRST); grid.json: windows kept,
    residual statistics and the residual polynomial the coregistration applies.
    """
    set_threads(threads)
    m, s = open_pair(master_safe, slave_safe, polarisation, orbits)
    lines, cols = m.shape
    half = window // 2
    step, node_l, node_c = offsets.node_grid((lines, cols), window, step, max_windows)
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
                              kept, f"{s.name[17:32]} -> {m.name[17:32]}: {int(kept.sum())}/{int(inside.sum())} "
                              f"windows kept, residual rms {rms:.4f} px")
    log.info("grid %s -> %s: %d/%d windows kept, residual rms %.4f px", s.name, m.name, kept.sum(),
             inside.sum(), rms)
    return Path(dst_grid)


def coregister(master_safe, slave_safe, height_tif, grid_json, dst, polarisation: str = "VV",
               doppler_json=None, orbits=None, threads: int = 1) -> Path:
    """Resample the slave onto the master grid (complex64 tiled GeoTIFF), by blocks of lines.

    Slave position of each master pixel: its ground point (at its height from the DEM projection,
    height_tif) seen by the slave orbit (dinsar.geometry.lookup), plus the residual polynomial of
    the deformation grid; 12-tap windowed sinc with Doppler
    demodulation at the Doppler centroid measured from the data (Doppler0, `doppler_json`), or
    else the slave's annotated one.
    """
    set_threads(threads)
    m, s = open_pair(master_safe, slave_safe, polarisation, orbits)
    model = Residual.from_json(json.loads(Path(grid_json).read_text())["residual"])
    lines, cols = m.shape
    gs = s.radar_grid
    if doppler_json is not None:
        f_dc = float(json.loads(Path(doppler_json).read_text())["doppler_hz"])
    else:  # the slave's model at mid swath; a product annotating none is zero-Doppler
        mid_range = gs.near_range_time_s + s.shape[1] / 2 / gs.range_sampling_rate_hz
        f_dc = float(s.doppler_centroid(mid_range)) if s.doppler_centroid else 0.0
    prof = raster.geotiff_profile(lines, cols, np.complex64)
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w, \
            s.open() as sr, rasterio.open(height_tif) as hr, raster.BackgroundWrites() as writes:
        w.gcps = raster.gcps_from_grid(m.footprint)
        for first, n in raster.line_blocks(lines, BLOCK_LINES):
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
                block = resample(src, y0, x0, y, x, f_dc, gs.line_interval_s)
                block[~finite] = 0
            writes.submit(w.write, block, 1, window=Window(0, first, cols, n))
    log.info("coregistered %s onto %s (Doppler %.1f Hz)", s.name, m.name, f_dc)
    return Path(dst)


def interferogram(master_safe, slave_safe, slave_coreg, height_tif, dst, looks=(3, 3), polarisation: str = "VV",
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
    naz, nrg = (int(v) for v in looks)
    lines, cols = m.shape
    out_l, out_c = lines // naz, cols // nrg
    gm, gs = m.radar_grid, s.radar_grid
    wavelength = gm.wavelength_m
    block = max(naz, (BLOCK_LINES // naz) * naz)
    prof = raster.geotiff_profile(out_l, out_c, np.float32, count=4)
    width = out_c * nrg
    cc = np.arange(width, dtype=np.float64)
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w, \
            (raster.open_samples(reference_coreg) if reference_coreg else m.open()) as mr, \
            raster.open_samples(slave_coreg) as sr, rasterio.open(height_tif) as hr:
        w.gcps = raster.gcps_from_grid(m.footprint, (naz, nrg))
        filled = int(hr.tags().get("FILLED_PIXELS", "0")) > 0
        for first in range(0, out_l * naz, block):
            n = min(block, out_l * naz - first)
            h = hr.read(1, window=Window(0, first, width, n))
            if filled:  # a height interpolated over a DEM hole: its topographic phase is a guess
                h[hr.read(2, window=Window(0, first, width, n)) == 1] = np.nan
            r_s = gs.slant_range(cc + lookup.slave_offsets(m, s, first, h)[1])
            if ref is None:
                r_m = gm.slant_range(cc)
            else:
                r_m = ref.radar_grid.slant_range(cc + lookup.slave_offsets(m, ref, first, h)[1])
            flat = 4 * np.pi / wavelength * (r_m - r_s)
            mb, sb = (framed(lambda r0, c0, nr, nc, src=src: src.read(Window(c0, r0, nc, nr)),
                             first, n, width, (lines, cols)) for src in (mr, sr))
            bands = interfere_multilook(mb, sb, flat, naz, nrg)
            w.write(bands, window=Window(0, first // naz, out_c, n // naz))
        for k, name in enumerate(("amplitude", "phase (rad)", "coherence", "isData"), start=1):
            w.set_band_description(k, name)
        w.update_tags(**pair_tags(ref or m, s))
        w.update_tags(**MultilookGrid.of_product(m, (naz, nrg), (lines, cols)).tags())
    if dst_png_phase or dst_png_coherence:
        from dinsar.io import png

        if dst_png_phase:
            png.write_phase_png(dst_png_phase, dst)
        if dst_png_coherence:
            png.write_png(dst_png_coherence, png.to_uint8(png.read_decimated(str(dst), 2048, band=3), 0, 1))
    log.info("interferogram %s x %s: %dx%d looks -> %dx%d", (ref or m).name, s.name, naz, nrg, out_l, out_c)
    return Path(dst)


def _day(product) -> str:
    return str(product.start_time.astype("M8[D]"))


def pair_tags(master, slave) -> dict:
    """What a pair product says of itself: the two acquisitions and the sign of its displacement."""
    return {"MASTER": master.name, "SLAVE": slave.name,
            "MASTER_TIME": str(master.start_time.astype("M8[ms]")),
            "SLAVE_TIME": str(slave.start_time.astype("M8[ms]")),
            "WAVELENGTH_M": repr(master.radar_grid.wavelength_m),
            "LOS_SIGN": "d = R(master) - R(slave): positive when the ground is nearer the satellite at the "
                        "slave's date than at the master's"}


def _read_ifg(path):
    """The 4 bands of a multilooked interferogram (isData as a mask), its GCPs and its multilook grid."""
    mlgrid = MultilookGrid.from_raster(path)
    with rasterio.open(path) as src:
        amp, phase, coh, ok = src.read()
        gcps = src.gcps
    return amp, phase, coh, ok > 0.5, gcps, mlgrid


def filter_unwrap(ifg_tif, dst_filtered, dst_unwrapped, alpha: float = 0.5, patch: int = 32,
                  min_coherence: float = 0.2, reference: tuple[int, int] | None = None, dst_png=None,
                  dst_unwrapped_png=None, init: str = "mst", threads: int = 1) -> Path:
    """Goldstein filter, then SNAPHU (coherence-weighted, 'defo' costs, `init` its initial flow),
    referenced to one pixel.

    unwrapped.tif bands: unwrapped phase minus its value at the reference pixel (rad), SNAPHU's
    connected components; tags REFERENCE_LINE / REFERENCE_COL (multilooked grid). The reference
    is the given (line, col) or the most coherent 9×9 area of the largest component. SNAPHU's
    equivalent number of looks and the multilook grid (carried into both outputs' tags) are the
    interferogram's (its tags, dinsar.geometry.multilook).
    """
    from dinsar.interferometry.filter import goldstein
    from dinsar.interferometry.unwrap import UnwrappingError, pick_reference, unwrap

    set_threads(threads)
    amp, phase, coh, ok, gcps, mlgrid = _read_ifg(ifg_tif)
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


def geocode(master_safe, dem, unwrapped_tif, ifg_tif, dst_los, dst_enu, dst_coherence, polarisation: str = "VV",
            posting_deg: float | None = None, dem_vertical=None, geoid_dir=None,
            filtered_tif=None, dst_phase=None, dst_los_png=None, orbits=None, threads: int = 1) -> list[Path]:
    """LOS displacement (m, toward the satellite), its unit vector (E, N, U), the coherence and (given
    filtered_tif and dst_phase) the filtered wrapped phase, on a regular WGS84 lon/lat grid, as
    Cloud-Optimised GeoTIFFs.  d = -λ φ_unw / (4π). The wrapped phase is interpolated as a complex
    number (its real and imaginary parts), never across a 2π jump. The radar rasters' multilook grid
    is the interferogram's (its tags); the output grid and the radar window of each block of output
    rows come from dinsar.interferometry.geocode."""
    from rasterio.shutil import copy as rio_copy

    from dinsar.geometry.dem import scene_dem
    from dinsar.interferometry.geocode import bilinear_many, los_enu, output_grid, radar_coordinates, radar_window

    set_threads(threads)
    product = open_chain_product(master_safe, polarisation, orbits)
    dem_grid = scene_dem(product, dem, dem_vertical, geoid_dir)
    wavelength = product.radar_grid.wavelength_m
    mlgrid = MultilookGrid.from_raster(ifg_tif)
    geo = output_grid(product, dem_grid, mlgrid, posting_deg)
    nx, ny = geo.nx, geo.ny
    with_phase = filtered_tif is not None and dst_phase is not None

    def radar_layers(window):
        """LOS displacement, coherence and (with_phase) the filtered phase's cos/sin over a window."""
        with rasterio.open(unwrapped_tif) as src:
            unw = src.read(1, window=window)
        with rasterio.open(ifg_tif) as src:
            coh, ok = src.read((3, 4), window=window)
        ok = ok > 0.5
        layers = [np.where(ok & np.isfinite(unw), -wavelength * unw / (4 * np.pi), np.nan), np.where(ok, coh, np.nan)]
        if with_phase:
            with rasterio.open(filtered_tif) as src:
                z = src.read(1, window=window)
            z = np.where(ok, z / np.maximum(np.abs(z), 1e-30), np.nan)
            layers += [z.real, z.imag]
        return np.stack(layers)

    outs = [Path(dst_los), Path(dst_enu), Path(dst_coherence)] + ([Path(dst_phase)] if with_phase else [])
    prof = dict(driver="GTiff", height=ny, width=nx, dtype="float32", crs="EPSG:4326", transform=geo.transform,
                tiled=True, blockxsize=256, blockysize=256, nodata=np.nan)
    work = [p.with_name(f".{p.stem}.work{os.getpid()}.tif") for p in outs]  # unique to this job
    try:
        phase_writer = rasterio.open(work[3], "w", count=1, **prof) if len(outs) == 4 else None
        with rasterio.open(work[0], "w", count=1, **prof) as wl, \
                rasterio.open(work[1], "w", count=3, **prof) as we, \
                rasterio.open(work[2], "w", count=1, **prof) as wc:
            for first, n in raster.line_blocks(ny, GEOCODE_BLOCK_LINES):
                lon, lat = geo.lonlat(first, n)
                y, x, xyz = radar_coordinates(product, dem_grid, lon, lat, mlgrid)
                # the radar window these nodes fall in, read for this block only
                inside, box = radar_window(y, x, mlgrid.shape)
                vals = np.full((4 if with_phase else 2, n * nx), np.nan)
                if box is not None:
                    r0, r1, c0, c1 = box
                    layers = radar_layers(Window(c0, r0, c1 - c0, r1 - r0))
                    vals[:, inside] = bilinear_many(layers, y[inside] - r0, x[inside] - c0)
                vals = vals.reshape(-1, n, nx)
                enu = los_enu(product, xyz, lon, lat).reshape(3, n, nx)
                enu[:, ~np.isfinite(vals[1])] = np.nan
                win = Window(0, first, nx, n)
                wl.write(vals[0].astype(np.float32), 1, window=win)
                wc.write(vals[1].astype(np.float32), 1, window=win)
                we.write(enu.astype(np.float32), window=win)
                if phase_writer is not None:
                    phase_writer.write(np.arctan2(vals[3], vals[2]).astype(np.float32), 1, window=win)
            if phase_writer is not None:
                phase_writer.set_band_description(1, "filtered wrapped phase (rad)")
                phase_writer.close()
            wl.set_band_description(1, "LOS displacement toward the satellite (m)")
            for k, name in enumerate(("east", "north", "up"), start=1):
                we.set_band_description(k, f"LOS unit vector ground->satellite, {name}")
            wc.set_band_description(1, "coherence")
        with rasterio.open(ifg_tif) as src:
            tags = {k: v for k, v in src.tags().items() if k in ("MASTER", "SLAVE", "MASTER_TIME", "SLAVE_TIME",
                                                                 "WAVELENGTH_M", "LOS_SIGN")}
        with atomic.outputs(*outs) as tmps:
            for src, tmp in zip(work, tmps, strict=True):
                with rasterio.open(src, "r+") as w:
                    w.update_tags(**tags)
                rio_copy(src, tmp, driver="COG", compress="DEFLATE", predictor=3)
    finally:
        for p in work:
            p.unlink(missing_ok=True)
    if dst_los_png:
        from dinsar.io import png

        png.write_diverging_png(dst_los_png, outs[0])
    log.info("geocoded %s: %dx%d at %.6f°", product.name, ny, nx, geo.posting_deg)
    return outs


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
    _, phase, coh, ok, _, mlgrid = _read_ifg(ifg_tif)
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
