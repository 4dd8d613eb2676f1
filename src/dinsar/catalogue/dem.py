"""Copernicus GLO-30 DEM for a scene: the 1°×1° Cloud-Optimised GeoTIFF tiles of the public bucket
(documented tile pattern, no account), cached once, mosaicked and cropped to the footprint.

Heights are EGM2008 orthometric (the workflow converts them with dem_vertical: egm2008). A tile the
bucket does not serve is looked up in the tile lists each bucket publishes (tileList.txt): absent
from GLO-30's but in GLO-90's (GLO-30 leaves a few countries out), it is taken from GLO-90 and
resampled onto the 1" grid; absent from both, it is open ocean and set to 0 m, sea level; listed but
not served, it is an error. A missing land tile never becomes 0 m. The lists are fetched only when a
tile is missing, so a scene whose tiles all exist needs none.
"""

from __future__ import annotations

import logging
import math
import os
import re
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
GLO90_URL = "https://copernicus-dem-90m.s3.amazonaws.com"
TILE_LIST = "tileList.txt"
POSTING_DEG = 1.0 / 3600.0
MARGIN_DEG = 0.15  # terrain shifts points by h / tan(incidence) in range: 9 km of relief at 30°
_LISTED = re.compile(r"_([NS])(\d{2})_00_([EW])(\d{3})_00")
_CODES = {"GLO-30": "10", "GLO-90": "30"}  # arc-second code in the tile names


def tile_name(lat: int, lon: int, dataset: str = "GLO-30") -> str:
    """Name of the tile whose south-west corner is (lat, lon): Copernicus_DSM_COG_10_S22_00_E055_00_DEM."""
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"Copernicus_DSM_COG_{_CODES[dataset]}_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM"


def tiles_for(bounds: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    west, south, east, north = bounds
    return [(lat, lon) for lat in range(math.floor(south), math.ceil(north))
            for lon in range(math.floor(west), math.ceil(east))]


def parse_tile_list(text: str) -> set[tuple[int, int]]:
    """(lat, lon) of the south-west corners named in a bucket's tileList.txt."""
    out = set()
    for line in text.splitlines():
        m = _LISTED.search(line)
        if m:
            out.add(((1 if m[1] == "N" else -1) * int(m[2]), (1 if m[3] == "E" else -1) * int(m[4])))
    return out


class _Bucket:
    """One dataset's bucket: its tiles and its tile list, cached under `folder`."""

    def __init__(self, dataset: str, base_url: str, folder: Path, session):
        self.dataset, self.base, self.folder, self.session = dataset, base_url.rstrip("/"), folder, session
        folder.mkdir(parents=True, exist_ok=True)
        self._listed: set[tuple[int, int]] | None = None

    def url(self, lat: int, lon: int) -> str:
        name = tile_name(lat, lon, self.dataset)
        return f"{self.base}/{name}/{name}.tif"

    def cached(self, lat: int, lon: int) -> Path | None:
        path = self.folder / f"{tile_name(lat, lon, self.dataset)}.tif"
        return path if path.exists() else None

    def _get(self, url: str):
        try:
            return self.session.get(url, timeout=TIMEOUT)
        except requests.RequestException as e:
            raise CatalogueError(f"{url}: {self.dataset} download failed ({type(e).__name__})") from None

    def has_list(self) -> bool:
        return self._listed is not None or (self.folder / TILE_LIST).exists()

    def listed(self, why: str) -> set[tuple[int, int]]:
        """The tiles of the bucket's list (downloaded once); `why` says what needs it, for the error."""
        if self._listed is None:
            path, url = self.folder / TILE_LIST, f"{self.base}/{TILE_LIST}"
            if not path.exists():
                r = self._get(url)
                if r.status_code >= 400:
                    raise CatalogueError(f"{url}: {self.dataset} tile list unreachable (HTTP {r.status_code}); {why}")
                with atomic.outputs(path) as (tmp,):
                    tmp.write_bytes(r.content)
            self._listed = parse_tile_list(path.read_text(errors="replace"))
            if not self._listed:
                path.unlink()  # an error page kept would hide every tile
                raise CatalogueError(f"{url}: no tile name in the {self.dataset} tile list; {why}")
        return self._listed

    def fetch(self, lat: int, lon: int) -> tuple[Path | None, int]:
        """(the cached tile, 200), downloaded if needed; (None, status) where the bucket has no such tile."""
        if (hit := self.cached(lat, lon)) is not None:
            return hit, 200
        url = self.url(lat, lon)
        r = self._get(url)
        if r.status_code in (403, 404):  # what the public buckets answer for a key they lack
            return None, r.status_code
        if r.status_code >= 400:
            raise CatalogueError(f"{url}: HTTP {r.status_code}")
        path = self.folder / f"{tile_name(lat, lon, self.dataset)}.tif"
        with atomic.outputs(path) as (tmp,):
            tmp.write_bytes(r.content)
            try:
                with rasterio.open(tmp) as src:
                    if src.crs is None or src.count < 1:
                        raise CatalogueError(f"{url}: not a georeferenced DEM tile")
            except rasterio.errors.RasterioError as e:
                raise CatalogueError(f"{url}: not a GeoTIFF ({str(e).splitlines()[0]})") from None
        return path, 200


def _tile(glo30: _Bucket, glo90: _Bucket, lat: int, lon: int) -> tuple[str, Path | None]:
    """('GLO-30' | 'GLO-90', path) for a land tile, ('ocean', None) for a tile of neither list."""
    if (hit := glo90.cached(lat, lon)) is not None and glo30.cached(lat, lon) is None:
        return "GLO-90", hit
    name, url = tile_name(lat, lon), glo30.url(lat, lon)
    if glo30.cached(lat, lon) is None and glo30.has_list() and (lat, lon) not in glo30.listed(f"tile {name}"):
        status = None  # a tile the cached list leaves out: no need to ask for it
    else:
        path, status = glo30.fetch(lat, lon)
        if path is not None:
            return "GLO-30", path
        why = f"{url} answers HTTP {status}: cannot tell open ocean from a missing land tile"
        if (lat, lon) in glo30.listed(why):
            raise CatalogueError(f"GLO-30 tile {name} is in {glo30.base}/{TILE_LIST} but {url} answers HTTP {status}")
    if (lat, lon) not in glo90.listed(f"GLO-30 has no tile {name}: cannot tell open ocean from a GLO-30 gap"):
        return "ocean", None
    path, status = glo90.fetch(lat, lon)
    if path is None:
        raise CatalogueError(f"GLO-90 tile {tile_name(lat, lon, 'GLO-90')} (filling GLO-30's gap at {name}) is in "
                             f"{glo90.base}/{TILE_LIST} but {glo90.url(lat, lon)} answers HTTP {status}")
    log.warning("GLO-30 has no tile %s: filled from GLO-90 (3\" resampled to 1\")", name)
    return "GLO-90", path


def fetch_dem(bounds: tuple[float, float, float, float], dst: str | os.PathLike, cache=None,
              url: str | None = None, session=None, margin_deg: float = MARGIN_DEG,
              glo90_url: str | None = None) -> Path:
    """GLO-30 heights over lon/lat `bounds` + margin at 1" posting, written to `dst` (float32, EPSG:4326,
    NaN where a land tile has no data: filled and flagged downstream, never taken for sea level)."""
    from dinsar.catalogue import http

    base = (url or os.environ.get("DINSAR_DEM_URL") or GLO30_URL).rstrip("/")
    base90 = (glo90_url or os.environ.get("DINSAR_DEM90_URL") or GLO90_URL).rstrip("/")
    session = session or http.session()
    root = cache_root(cache) / "dem"
    glo30, glo90 = _Bucket("GLO-30", base, root / "glo30", session), _Bucket("GLO-90", base90, root / "glo90", session)
    west, south, east, north = (bounds[0] - margin_deg, bounds[1] - margin_deg, bounds[2] + margin_deg,
                                bounds[3] + margin_deg)
    tiles = {(lat, lon): _tile(glo30, glo90, lat, lon) for lat, lon in tiles_for((west, south, east, north))}
    land = {k: v for k, v in tiles.items() if v[1] is not None}
    if not land:
        raise CatalogueError(f"GLO-30: no land tile over lon {west:.3f}..{east:.3f}, lat {south:.3f}..{north:.3f}")
    nx = int(math.ceil((east - west) / POSTING_DEG - 1e-6))  # 0.2° is 720 px, not 721 from rounding
    ny = int(math.ceil((north - south) / POSTING_DEG - 1e-6))
    transform = from_origin(west, north, POSTING_DEG, POSTING_DEG)
    height = np.full((ny, nx), np.nan, np.float32)
    lon_c = np.floor(west + (np.arange(nx) + 0.5) * POSTING_DEG)
    lat_c = np.floor(north - (np.arange(ny) + 0.5) * POSTING_DEG)
    for (lat, lon), (kind, _) in tiles.items():
        if kind == "ocean":  # sea level over the ocean tile only; land tiles overwrite their edges below
            height[np.ix_(lat_c == lat, lon_c == lon)] = 0.0
    for _, path in land.values():
        with rasterio.open(path) as src:
            patch = np.full((ny, nx), np.nan, np.float32)
            reproject(rasterio.band(src, 1), patch, dst_transform=transform, dst_crs="EPSG:4326",
                      src_nodata=src.nodata, dst_nodata=np.nan, resampling=Resampling.bilinear)
        height = np.where(np.isfinite(patch), patch, height)
    filled = sorted(p.name for kind, p in land.values() if kind == "GLO-90")
    prof = dict(driver="GTiff", height=ny, width=nx, count=1, dtype="float32", crs="EPSG:4326", nodata=np.nan,
                transform=transform, tiled=True, blockxsize=256, blockysize=256, compress="DEFLATE", predictor=3)
    with atomic.outputs(dst) as (tmp,), rasterio.open(tmp, "w", **prof) as w:
        w.write(height, 1)
        w.update_tags(SOURCE=f"Copernicus GLO-30 ({base})" + (f", GLO-90 fill ({base90})" if filled else ""),
                      TILES=",".join(sorted(p.name for _, p in land.values())), GLO90_FILL=",".join(filled),
                      VERTICAL_DATUM="EGM2008")
    log.info("GLO-30: %d land tile(s) of %d (%d from GLO-90) -> %s (%dx%d)", len(land), len(tiles), len(filled),
             dst, ny, nx)
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
