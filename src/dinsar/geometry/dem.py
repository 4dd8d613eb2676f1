"""DEM handling: read any CRS, orthometric -> ellipsoidal heights, crop to a scene, fill holes.

Vertical datum: from the CRS when it has a vertical part (EPSG:9707 = WGS84 +
EGM96 height, EPSG:4979 = ellipsoidal); a 2-D CRS means EGM96 heights unless
`vertical` says otherwise ("ellipsoid", "egm96", "egm2008"). PROJ falls back to
a "ballpark" transformation (N = 0) when the geoid grid is missing; that is
detected and refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
from pyproj import CRS, Transformer
from rasterio.fill import fillnodata
from rasterio.windows import Window, from_bounds

from dinsar.errors import DinsarError

log = logging.getLogger(__name__)

# compound CRS with WGS84 ellipsoidal heights for each geoid model
_GEOID_CRS = {"egm96": "EPSG:4326+5773", "egm2008": "EPSG:4326+3855"}
_GRID_FILES = {"egm96": "egm96_15.gtx / us_nga_egm96_15.tif", "egm2008": "us_nga_egm08_25.tif"}


class DemError(DinsarError):
    """A DEM that cannot be used for the scene."""


@dataclass
class Dem:
    """A cropped DEM in memory: ellipsoidal heights (float64, NaN where no data) on a regular grid."""

    height: np.ndarray
    transform: rasterio.Affine
    crs: CRS
    filled: np.ndarray  # bool: True where the height was interpolated over a DEM hole
    source: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.height.shape

    def coordinates(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map x/y of pixel centres (rows, cols) in the DEM CRS."""
        x, y = rasterio.transform.xy(self.transform, rows, cols, offset="center")
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def lonlat(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.coordinates(rows, cols)
        if self.crs.is_geographic:
            return x, y
        t = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        return t.transform(x, y)


def use_geoid_dir(path: str | Path | None) -> None:
    """Put a local folder of geoid grids on PROJ's search path (pyproj)."""
    if path:
        if not Path(path).is_dir():
            raise DemError(f"{path}: geoid grid folder not found")
        pyproj.datadir.append_data_dir(str(Path(path).resolve()))


def vertical_datum(crs: CRS, vertical: str | None, source: str) -> str:
    """'ellipsoid', 'egm96' or 'egm2008' for a DEM CRS and an optional override."""
    if vertical:
        return vertical
    if crs.is_compound:
        name = crs.sub_crs_list[1].name.lower()
        if "egm96" in name:
            return "egm96"
        if "egm2008" in name:
            return "egm2008"
        raise DemError(f"{source}: vertical datum {crs.sub_crs_list[1].name!r} not supported "
                       "(EGM96, EGM2008 or ellipsoidal heights)")
    if len(crs.axis_info) == 3:  # e.g. EPSG:4979
        return "ellipsoid"
    return "egm96"


def geoid_undulation(lon: np.ndarray, lat: np.ndarray, model: str = "egm96") -> np.ndarray:
    """N (m) such that ellipsoidal h = orthometric H + N; refuses PROJ's grid-less ballpark."""
    t = Transformer.from_crs(_GEOID_CRS[model], "EPSG:4979", always_xy=True)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    _, _, n = t.transform(lon, lat, np.zeros_like(lon))
    if "ballpark" in t.description.lower():
        raise DemError(
            f"{model.upper()} geoid grid not found by PROJ ({_GRID_FILES[model]}): heights would be "
            "off by tens of metres; install proj-data, set `geoid_dir` in the config, or PROJ_NETWORK=ON"
        )
    return np.asarray(n, dtype=np.float64)


def _describe_gap(need: tuple, have: tuple) -> str:
    parts = []
    names = ("west", "south", "east", "north")
    for k, (n, h) in enumerate(zip(need, have, strict=True)):
        short = (n < h) if k < 2 else (n > h)
        if short:
            parts.append(f"{names[k]} edge by {abs(n - h):.4g}")
    return ", ".join(parts)


def load_for_scene(path: str | Path, lonlat_bounds: tuple[float, float, float, float],
                   vertical: str | None = None, margin_deg: float = 0.02) -> Dem:
    """The part of the DEM covering lon/lat bounds (+ margin), as ellipsoidal heights.

    Holes (nodata, NaN) are filled by inverse-distance interpolation and flagged;
    a DEM that does not cover the scene is refused, naming the uncovered edges.
    """
    path = Path(path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioError as e:
        raise DemError(f"{path}: cannot open DEM ({str(e).splitlines()[0]})") from None
    with src:
        if src.crs is None:
            raise DemError(f"{path}: DEM has no CRS (a georeferenced GeoTIFF is needed)")
        crs = CRS.from_user_input(src.crs.to_wkt())
        datum = vertical_datum(crs, vertical, str(path))
        west, south, east, north = lonlat_bounds
        need = (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
        horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
        to_dem = Transformer.from_crs("EPSG:4326", horizontal, always_xy=True)
        need_dem = to_dem.transform_bounds(*need)
        have = tuple(src.bounds)
        gap = _describe_gap(need_dem, have)
        if gap:
            raise DemError(
                f"{path}: DEM does not cover the scene: needs lon {need[0]:.4f}..{need[2]:.4f}, "
                f"lat {need[1]:.4f}..{need[3]:.4f} with margin; uncovered: {gap} (DEM CRS units)"
            )
        window = from_bounds(*need_dem, transform=src.transform).round_offsets().round_lengths()
        window = window.intersection(Window(0, 0, src.width, src.height))
        raw = src.read(1, window=window, masked=True).astype(np.float64)
        transform = src.window_transform(window)
    height = raw.filled(np.nan)
    holes = ~np.isfinite(height)
    if holes.all():
        raise DemError(f"{path}: the DEM has no valid height over the scene")
    if holes.any():
        log.warning("%s: %d DEM samples without data over the scene: filled and flagged", path, holes.sum())
        height = fillnodata(np.where(holes, 0, height).astype(np.float32), mask=(~holes).astype(np.uint8),
                            max_search_distance=max(height.shape)).astype(np.float64)
    dem = Dem(height, transform, horizontal, holes, str(path))
    if datum != "ellipsoid":
        rows, cols = np.indices(height.shape)
        lon, lat = dem.lonlat(rows.ravel(), cols.ravel())
        dem.height = height + geoid_undulation(lon, lat, datum).reshape(height.shape)
    return dem
