"""Copernicus GLO-30 DEM for a scene: the 1°×1° Cloud-Optimised GeoTIFF tiles of the public bucket
(documented tile pattern, no account), cached once, mosaicked and cropped to the footprint.

Heights are EGM2008 orthometric (the workflow converts them with dem_vertical: egm2008). Tiles that
do not exist are open ocean (the bucket has none there): they are filled with 0 m, sea level.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np
import rasterio
import requests
from rasterio.transform import from_origin
from rasterio.warp import Resampling, reproject

from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.orbits import cache_root
from dinsar.catalogue.provider import CatalogueError
from dinsar.io import atomic

log = logging.getLogger(__name__)

GLO30_URL = "https://copernicus-dem-30m.s3.amazonaws.com"
POSTING_DEG = 1.0 / 3600.0
MARGIN_DEG = 0.15  # terrain shifts points by h / tan(incidence) in range: 9 km of relief at 30°


def tile_name(lat: int, lon: int) -> str:
    """Name of the tile whose south-west corner is (lat, lon): Copernicus_DSM_COG_10_S22_00_E055_00_DEM."""
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"Copernicus_DSM_COG_10_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM"


def tiles_for(bounds: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    west, south, east, north = bounds
    return [(lat, lon) for lat in range(math.floor(south), math.ceil(north))
            for lon in range(math.floor(west), math.ceil(east))]


def _fetch_tile(session, base_url: str, lat: int, lon: int, folder: Path) -> Path | None:
    """The cached tile, downloaded if needed; None for an ocean tile (404, remembered)."""
    name = tile_name(lat, lon)
    path, ocean = folder / f"{name}.tif", folder / f"{name}.ocean"
    if path.exists():
        return path
    if ocean.exists():
        return None
    url = f"{base_url}/{name}/{name}.tif"
    try:
        r = session.get(url, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise CatalogueError(f"{url}: DEM tile download failed ({type(e).__name__})") from None
    if r.status_code in (403, 404):  # the public bucket answers 403/404 where there is no land
        ocean.touch()
        return None
    if r.status_code >= 400:
        raise CatalogueError(f"{url}: HTTP {r.status_code}")
    with atomic.outputs(path) as (tmp,):
        tmp.write_bytes(r.content)
        try:
            with rasterio.open(tmp) as src:
                if src.crs is None or src.count < 1:
                    raise CatalogueError(f"{url}: not a georeferenced DEM tile")
        except rasterio.errors.RasterioError as e:
            raise CatalogueError(f"{url}: not a GeoTIFF ({str(e).splitlines()[0]})") from None
    return path


def fetch_dem(bounds: tuple[float, float, float, float], dst: str | os.PathLike, cache=None,
              url: str | None = None, session=None, margin_deg: float = MARGIN_DEG) -> Path:
    """GLO-30 heights over lon/lat `bounds` + margin at 1" posting, written to `dst` (float32, EPSG:4326)."""
    from dinsar.catalogue import http

    base = (url or os.environ.get("DINSAR_DEM_URL") or GLO30_URL).rstrip("/")
    session = session or http.session()
    folder = cache_root(cache) / "dem" / "glo30"
    folder.mkdir(parents=True, exist_ok=True)
    west, south, east, north = (bounds[0] - margin_deg, bounds[1] - margin_deg, bounds[2] + margin_deg,
                                bounds[3] + margin_deg)
    tiles = [_fetch_tile(session, base, lat, lon, folder) for lat, lon in tiles_for((west, south, east, north))]
    land = [t for t in tiles if t is not None]
    if not land:
        raise CatalogueError(f"GLO-30: no land tile over lon {west:.3f}..{east:.3f}, lat {south:.3f}..{north:.3f}")
    nx = int(math.ceil((east - west) / POSTING_DEG))
    ny = int(math.ceil((north - south) / POSTING_DEG))
    transform = from_origin(west, north, POSTING_DEG, POSTING_DEG)
    height = np.zeros((ny, nx), np.float32)  # sea level where no tile exists
    for path in land:
        with rasterio.open(path) as src:
            nodata = src.nodata
            patch = np.full((ny, nx), np.nan, np.float32)
            reproject(rasterio.band(src, 1), patch, dst_transform=transform, dst_crs="EPSG:4326",
                      src_nodata=nodata, dst_nodata=np.nan, resampling=Resampling.bilinear)
        height = np.where(np.isfinite(patch), patch, height)
    prof = dict(driver="GTiff", height=ny, width=nx, count=1, dtype="float32", crs="EPSG:4326",
                transform=transform, tiled=True, blockxsize=256, blockysize=256, compress="DEFLATE", predictor=3)
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w:
        w.write(height, 1)
        w.update_tags(SOURCE=f"Copernicus GLO-30 ({base})", TILES=",".join(p.name for p in land),
                      VERTICAL_DATUM="EGM2008")
    log.info("GLO-30: %d land tile(s) of %d -> %s (%dx%d)", len(land), len(tiles), dst, ny, nx)
    return Path(dst)


def fetch_dem_for_product(product_safe, dst, cache=None, url: str | None = None,
                          polarisation: str | None = None) -> Path:
    """GLO-30 over the footprint of a product's geolocation grid (polarisation None: the config's default)."""
    from dinsar.sensors import merged, sentinel1
    from dinsar.settings import defaults

    pol = polarisation or defaults().polarisation
    if merged.sidecar_of(product_safe):  # an IW date: the footprint of its bursts over the site
        g = merged.open_merged(product_safe, pol).footprint
    else:
        g = sentinel1.open_product(product_safe, polarisation=pol).footprint
    bounds = (float(g.longitude.min()), float(g.latitude.min()), float(g.longitude.max()), float(g.latitude.max()))
    return fetch_dem(bounds, dst, cache=cache, url=url)
