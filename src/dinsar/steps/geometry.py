"""Geometry steps of the master image: DEM projection, SAR simulation, Doppler0 (paths in, paths out)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import RasterError
from dinsar.io import atomic, png, raster
from dinsar.logs import progress
from dinsar.settings import defaults
from dinsar.steps.common import open_chain_product, set_threads

log = logging.getLogger(__name__)


GEOMETRY_BLOCK_LINES = 256


def _master(safe: str | Path, polarisation: str | None, orbits=None):
    return open_chain_product(safe, polarisation, orbits)


def _scene_dem(product, dem_path, dem_vertical=None, geoid_dir=None):
    from dinsar.geometry.dem import scene_dem

    return scene_dem(product, dem_path, dem_vertical, geoid_dir)


def _radar_sidecar(product) -> dict:
    g, sv = product.radar_grid, product.state_vectors
    return {
        "product": product.name, "polarisation": product.polarisation, "mode": product.mode,
        "swath": product.swath, "shape": list(product.shape), "first_line_time": str(product.start_time),
        "line_interval_s": g.line_interval_s, "near_range_time_s": g.near_range_time_s,
        "range_sampling_rate_hz": g.range_sampling_rate_hz, "wavelength_m": g.wavelength_m,
        "doppler": "zero", "bursts": len(product.bursts),
        "state_vectors": {"time": [str(t) for t in sv.time], "position": sv.position.tolist(),
                          "velocity": sv.velocity.tolist(), "source": sv.source},
    }


def dem_projection(safe: str | Path, dem: str | Path, dst_projection: str | Path, dst_height: str | Path,
                   dst_xyz: str | Path, polarisation: str | None = None, dem_vertical: str | None = None,
                   geoid_dir: str | None = None, orbits=None, threads: int = 1,
                   dst_sidecar: str | Path | None = None) -> list[Path]:
    """DEM -> master radar geometry (DiapOTB SARDEMProjection + cartesian mean estimation).

    dst_projection: in the DEM's grid, bands line, column, ellipsoidal height of each DEM sample.
    dst_height: in the master grid, band 1 the ellipsoidal height of the ground point seen by each
      pixel, band 2 a flag (0 good, 1 from a filled DEM hole, 2 not resolved: outside the DEM).
    dst_xyz: in the master grid, ECEF X/Y/Z as float32 offsets from the origin in tag XYZ_ORIGIN
      (float32 absolute coordinates would round to 0.5 m); read with dinsar.io.raster.read_xyz.
    dst_sidecar: the JSON sensor model of the master grid (radar_grid.json), when given.
    """
    from dinsar.geometry.projection import dem_to_radar, sample_dem

    set_threads(threads)
    product = _master(safe, polarisation, orbits)
    scene_dem = _scene_dem(product, dem, dem_vertical, geoid_dir)
    orbit, grid = product.orbit, product.radar_grid
    lines, cols = product.shape
    outs = [Path(dst_projection), Path(dst_height), Path(dst_xyz)] + ([Path(dst_sidecar)] if dst_sidecar else [])
    with atomic.outputs(*outs) as tmps:
        ny, nx = scene_dem.shape
        prof = raster.geotiff_profile(ny, nx, np.float32, count=3, crs=scene_dem.crs,
                                      transform=scene_dem.transform, nodata=np.nan)
        with rasterio.open(tmps[0], "w", **prof) as w:
            for first, n in progress(raster.line_blocks(ny, GEOMETRY_BLOCK_LINES), "DEM projection, DEM", log):
                line, col, _ = dem_to_radar(scene_dem, orbit, grid, slice(first, first + n))
                window = Window(0, first, nx, n)
                w.write(np.stack([line, col, scene_dem.height[first:first + n]]).astype(np.float32),
                        window=window)
            w.set_band_description(1, "line")
            w.set_band_description(2, "column")
            w.set_band_description(3, "ellipsoidal height (m)")
        from dinsar.geometry.ellipsoid import geodetic_to_ecef

        geo = product.footprint  # the scene's centre: offsets stay within the footprint
        origin = geodetic_to_ecef(np.mean(geo.longitude), np.mean(geo.latitude), np.mean(geo.height))[0].round(0)
        gcps = raster.gcps_from_grid(geo)
        # band-interleaved: coregistration and interferogram read the heights (band 1) alone
        with rasterio.open(tmps[1], "w", **raster.geotiff_profile(lines, cols, np.float32, count=2,
                                                                  nodata=np.nan, interleave="band")) as wh, \
             rasterio.open(tmps[2], "w", **raster.geotiff_profile(lines, cols, np.float32, count=3,
                                                                  nodata=np.nan)) as wx, \
             raster.BackgroundWrites() as writes:
            wh.gcps = gcps
            wx.gcps = gcps
            wh.set_band_description(1, "ellipsoidal height (m)")
            wh.set_band_description(2, "flag: 0 good, 1 filled DEM hole, 2 unresolved")
            wx.update_tags(XYZ_ORIGIN=" ".join(f"{v:.3f}" for v in origin), XYZ_CRS="EPSG:4978")
            # per scene, not per block: each is a pass over the whole DEM
            heights = (float(np.nanmin(scene_dem.height)), float(np.nanmax(scene_dem.height)))
            holes_dem = _mask_as_dem(scene_dem) if scene_dem.filled.any() else None
            counts = np.zeros(3, np.int64)  # pixels per flag
            for first, n in progress(raster.line_blocks(lines, GEOMETRY_BLOCK_LINES), "DEM projection, radar", log):
                xyz, h = _ground(scene_dem, orbit, grid, first, n, cols, heights)
                ok = np.isfinite(h)
                flag = np.where(ok, 0, 2).astype(np.float32)
                if holes_dem is not None:
                    lon, lat = _lonlat_of(xyz[:, ok].T)
                    holes = sample_dem(holes_dem, lon, lat) > 0.5
                    flag[tuple(np.argwhere(ok)[holes].T)] = 1
                counts += np.bincount(flag.astype(np.int64).ravel(), minlength=3)
                window = Window(0, first, cols, n)
                writes.submit(wh.write, np.stack([h, flag]).astype(np.float32), window=window)
                writes.submit(wx.write, (xyz - origin[:, None, None]).astype(np.float32), window=window)
            # the interferogram masks the pixels of filled holes; it reads the flags only when there are some.
            # The block writes drain first: a tag set while the writer thread writes wh was sometimes lost.
            writes.wait()
            wh.update_tags(FILLED_PIXELS=str(int(counts[1])), UNRESOLVED_PIXELS=str(int(counts[2])))
        if dst_sidecar:
            tmps[3].write_text(json.dumps(_radar_sidecar(product), indent=1))
    log.info("DEM projection of %s on %s: %dx%d DEM samples, %dx%d pixels", product.name, dem, ny, nx,
             lines, cols)
    total = lines * cols
    if counts[2]:
        log.warning("%s covers %.1f %% of the scene: %.1f %% of its pixels (%d) have no ground point on the "
                    "DEM and are masked (height flag 2; no interferogram or LOS there)", dem,
                    100 * (1 - counts[2] / total), 100 * counts[2] / total, counts[2])
    if counts[1]:
        log.warning("%s: %d pixels (%.2f %% of the scene) see filled DEM holes: masked in the interferogram "
                    "and the LOS map (height flag 1)", dem, counts[1], 100 * counts[1] / total)
    return outs[:3]


def _ground(dem, orbit, grid, first, n, cols, heights):
    """ECEF (3, n, cols) and height (n, cols) of the ground points of lines first .. first + n - 1
    (heights: the DEM's extremes)."""
    from dinsar.geometry.ground import ground_block
    from dinsar.geometry.projection import radar_to_ground

    if dem.crs.is_geographic:
        return ground_block(dem, orbit, grid, first, n, cols, heights=heights)
    ll, cc = np.mgrid[first:first + n, 0:cols]
    xyz, h, _ = radar_to_ground(dem, orbit, grid, ll, cc)
    return xyz.T.reshape(3, n, cols), h.reshape(n, cols)


def _lonlat_of(xyz):
    from dinsar.geometry.ellipsoid import ecef_to_geodetic

    lon, lat, _ = ecef_to_geodetic(xyz)
    return lon, lat


def _mask_as_dem(dem):
    from dataclasses import replace

    return replace(dem, height=dem.filled.astype(np.float64))


def simulate_amplitude(safe: str | Path, dem: str | Path, dst_amplitude: str | Path, dst_shadow: str | Path,
                       dst_layover: str | Path, dst_png: str | Path | None = None, polarisation: str | None = None,
                       dem_vertical: str | None = None, geoid_dir: str | None = None, oversample: int | None = None,
                       orbits=None, threads: int = 1) -> list[Path]:
    """SAR amplitude simulated from the DEM in master geometry, with shadow and layover masks."""
    from dinsar.geometry.terrain import simulate_lines

    set_threads(threads)
    product = _master(safe, polarisation, orbits)
    scene_dem = _scene_dem(product, dem, dem_vertical, geoid_dir)
    oversample = oversample or defaults().geometry.oversample
    lines, cols = product.shape
    gcps = raster.gcps_from_grid(product.footprint)
    outs = [Path(dst_amplitude), Path(dst_shadow), Path(dst_layover)] + ([Path(dst_png)] if dst_png else [])
    with atomic.outputs(*outs) as tmps:
        writers = [rasterio.open(tmps[0], "w", **raster.geotiff_profile(lines, cols, np.float32))]
        writers += [rasterio.open(t, "w", **raster.geotiff_profile(lines, cols, np.uint8)) for t in tmps[1:3]]
        try:
            for w in writers:
                w.gcps = gcps
            for first, n in progress(raster.line_blocks(lines, GEOMETRY_BLOCK_LINES // 4), "simulated amplitude", log):
                amp, shadow, layover = simulate_lines(scene_dem, product.orbit, product.radar_grid, first, n,
                                                      cols, oversample)
                window = Window(0, first, cols, n)
                for w, data in zip(writers, (amp, shadow, layover), strict=True):
                    w.write(data, 1, window=window)
        finally:
            for w in writers:
                w.close()
        if dst_png:
            png.write_png(tmps[3], png.robust_stretch(png.read_decimated(str(tmps[0]), 2048)))
    log.info("simulated amplitude of %s from %s", product.name, dem)
    return outs


def doppler0(safe: str | Path, dst_json: str | Path, polarisation: str | None = None,
             blocks: tuple[int, int] | None = None, threads: int = 1) -> Path:
    """Doppler centroid from the data (lag-one correlation per range block) vs the annotation, as JSON.

    Reads the image by blocks of lines; each block's estimate is kept and the
    JSON holds the per-block results, their mean and spread.
    """
    from dinsar.geometry.doppler import estimate

    set_threads(threads)
    product = _master(safe, polarisation)
    az_block, rg_block = blocks or defaults().geometry.doppler_blocks
    lines, cols = product.shape
    block = max(az_block * 8, product.bursts[0].lines if product.bursts else 0)  # TOPS: a burst at least
    results = []
    for first, n in raster.line_blocks(lines, block):
        if n < 2 * az_block:
            continue
        results.append(estimate(product.read(Window(0, first, cols, n)), product, first, 0, az_block, rg_block))
    if not results:
        raise RasterError(f"{safe}: image too small for Doppler0 ({lines} lines < {2 * az_block})")
    f = np.array([r["doppler_hz"] for r in results])
    summary = {
        "product": product.name, "polarisation": product.polarisation, "mode": results[0]["mode"],
        "doppler_hz": float(np.mean(f)),
        "spread_hz": float(np.sqrt(np.mean([r["spread_hz"] ** 2 for r in results]) + np.var(f))),
        "annotation_mean_hz": results[0]["annotation_mean_hz"],
        "annotation_min_hz": results[0]["annotation_min_hz"],
        "annotation_max_hz": results[0]["annotation_max_hz"],
        "az_block": az_block, "rg_block": rg_block, "blocks": results,
    }
    with atomic.outputs(dst_json) as (tmp,):
        tmp.write_text(json.dumps(summary, indent=1))
    log.info("Doppler0 of %s: %.2f Hz (spread %.2f Hz; annotation %.2f Hz)", product.name,
             summary["doppler_hz"], summary["spread_hz"], summary["annotation_mean_hz"] or float("nan"))
    return Path(dst_json)


