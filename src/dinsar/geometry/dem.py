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
    coverage: float = 1.0  # the fraction of the area asked for that the DEM covers

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


def _undulation(lon: np.ndarray, lat: np.ndarray, model: str) -> np.ndarray | None:
    """N from PROJ, or None where PROJ fell back to its grid-less ballpark (N = 0)."""
    t = Transformer.from_crs(_GEOID_CRS[model], "EPSG:4979", always_xy=True)
    _, _, n = t.transform(lon, lat, np.zeros_like(lon))
    return None if "ballpark" in t.description.lower() else np.asarray(n, dtype=np.float64)


def geoid_undulation(lon: np.ndarray, lat: np.ndarray, model: str = "egm96") -> np.ndarray:
    """N (m) such that ellipsoidal h = orthometric H + N; a grid PROJ lacks is fetched once into the
    cache (dinsar.catalogue.geoid), and PROJ's grid-less ballpark is refused."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    n = _undulation(lon, lat, model)
    if n is None:
        from dinsar.catalogue.geoid import GeoidError, fetch_grid

        missing = (f"{model.upper()} geoid grid not found by PROJ ({_GRID_FILES[model]}): heights would be "
                   "off by tens of metres")
        try:
            grid = fetch_grid(model)
        except GeoidError as e:
            raise DemError(f"{missing}; {e}") from None
        pyproj.datadir.append_data_dir(str(grid.parent))
        n = _undulation(lon, lat, model)
        if n is None:
            raise DemError(f"{missing}; PROJ does not use {grid} (not a PROJ grid?): remove it to fetch it again")
    return n


def _describe_gap(need: tuple, have: tuple) -> str:
    parts = []
    names = ("west", "south", "east", "north")
    for k, (n, h) in enumerate(zip(need, have, strict=True)):
        short = (n < h) if k < 2 else (n > h)
        if short:
            parts.append(f"{names[k]} edge by {abs(n - h):.4g}")
    return ", ".join(parts)


def load_for_scene(path: str | Path, lonlat_bounds: tuple[float, float, float, float],
                   vertical: str | None = None, margin_deg: float = 0.02, margin_px: int = 0,
                   partial: bool = False) -> Dem:
    """The part of the DEM covering lon/lat bounds (+ margin_deg, + margin_px DEM pixels), as
    ellipsoidal heights.

    Holes (nodata, NaN) are filled by inverse-distance interpolation and flagged. A DEM that does
    not cover the area is refused, naming the uncovered edges; with `partial`, the covered part is
    returned (Dem.coverage says how much) and only a DEM missing the area altogether is refused.
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
        px, py = abs(src.transform.a), abs(src.transform.e)
        x0, y0, x1, y1 = to_dem.transform_bounds(*need)
        need_dem = (x0 - margin_px * px, y0 - margin_px * py, x1 + margin_px * px, y1 + margin_px * py)
        have = tuple(src.bounds)
        gap = _describe_gap(need_dem, have)
        inter = (max(need_dem[0], have[0]), max(need_dem[1], have[1]), min(need_dem[2], have[2]),
                 min(need_dem[3], have[3]))
        coverage = (max(inter[2] - inter[0], 0.0) * max(inter[3] - inter[1], 0.0)
                    / ((need_dem[2] - need_dem[0]) * (need_dem[3] - need_dem[1])))
        if gap and (not partial or coverage == 0.0):
            spans = Transformer.from_crs(horizontal, "EPSG:4326", always_xy=True).transform_bounds(*have)
            raise DemError(
                f"{path}: DEM does not cover the scene: needs lon {need[0]:.4f}..{need[2]:.4f}, "
                f"lat {need[1]:.4f}..{need[3]:.4f}, the DEM spans lon {spans[0]:.4f}..{spans[2]:.4f}, "
                f"lat {spans[1]:.4f}..{spans[3]:.4f}; uncovered: {gap} (DEM CRS units)"
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
        log.warning("%s: %d DEM samples without data over the scene: filled and flagged (the pixels that "
                    "see them are masked)", path, holes.sum())
        height = fillnodata(np.where(holes, 0, height).astype(np.float32), mask=(~holes).astype(np.uint8),
                            max_search_distance=max(height.shape)).astype(np.float64)
    dem = Dem(height, transform, horizontal, holes, str(path), coverage=float(min(coverage, 1.0)))
    if datum != "ellipsoid":
        rows, cols = np.indices(height.shape)
        lon, lat = dem.lonlat(rows.ravel(), cols.ravel())
        dem.height = height + geoid_undulation(lon, lat, datum).reshape(height.shape)
    return dem


# DEM samples beyond the ground footprint: the bilinear sampling of the DEM needs the next sample
# outside a point (one), and one more absorbs the footprint's sampling along the image edges.
KERNEL_PX = 2


def scene_footprint(product, h_min: float, h_max: float, samples: int = 33) -> tuple[float, float, float, float]:
    """lon/lat bounds of the ground points of the image border at heights h_min and h_max.

    A pixel's ground point at height h lies on its range-Doppler circle; between the two heights
    it moves monotonically across range, so every pixel at any height of the DEM's range is inside
    these bounds.
    """
    lines, cols = product.shape
    t = np.linspace(0.0, 1.0, samples)
    line = np.concatenate([t * (lines - 1), t * (lines - 1), np.zeros(samples), np.full(samples, lines - 1.0)])
    col = np.concatenate([np.zeros(samples), np.full(samples, cols - 1.0), t * (cols - 1), t * (cols - 1)])
    lon, lat = [], []
    for h in (h_min, h_max):
        lo, la, _ = product.rdr2geo(line, col, np.full(line.shape, h))
        lon.append(lo)
        lat.append(la)
    lon, lat = np.concatenate(lon), np.concatenate(lat)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise DemError(f"{product.name}: no ground point of the image border (orbit or timing unusable)")
    return float(lon[ok].min()), float(lat[ok].min()), float(lon[ok].max()), float(lat[ok].max())


def height_range(path: str | Path, lonlat_bounds, vertical: str | None = None) -> tuple[float, float] | None:
    """Ellipsoidal min and max of the DEM over lon/lat bounds (None when the DEM has no sample
    there). The geoid is taken at the area's corners and centre, enough for a bound on where the
    scene's ground points can lie."""
    with rasterio.open(path) as src:
        crs = CRS.from_user_input(src.crs.to_wkt())
        horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
        datum = vertical_datum(crs, vertical, str(path))
        bounds = Transformer.from_crs("EPSG:4326", horizontal, always_xy=True).transform_bounds(*lonlat_bounds)
        window = from_bounds(*bounds, transform=src.transform).round_offsets().round_lengths()
        try:
            window = window.intersection(Window(0, 0, src.width, src.height))
        except rasterio.errors.WindowError:  # no overlap
            return None
        if window.width < 1 or window.height < 1:
            return None
        raw = src.read(1, window=window, masked=True)  # no more than load_for_scene reads
    if raw.count() == 0:
        return None
    h_lo, h_hi = float(raw.min()), float(raw.max())
    if datum != "ellipsoid":
        w, s, e, n = lonlat_bounds
        n_geoid = geoid_undulation(np.array([w, e, w, e, (w + e) / 2]), np.array([s, s, n, n, (s + n) / 2]), datum)
        h_lo, h_hi = h_lo + float(n_geoid.min()) - 2.0, h_hi + float(n_geoid.max()) + 2.0
    return h_lo, h_hi


def scene_dem(product, path: str | Path, vertical: str | None = None, geoid_dir: str | Path | None = None) -> Dem:
    """The DEM over what the scene's geometry needs: the ground footprint of its pixels over the DEM's
    own heights, plus the sampling kernel (KERNEL_PX). A DEM covering part of that is loaded over
    the part (its coverage in Dem.coverage: the pixels beyond it stay unresolved and masked); one
    missing the scene altogether is refused.
    """
    use_geoid_dir(geoid_dir)
    g = product.footprint  # its tie points' heights: where the footprint search starts
    lo, hi = float(np.min(g.height)), float(np.max(g.height))
    for _ in range(6):  # each pass widens the footprint by the heights found in it; 2-3 suffice
        bounds = scene_footprint(product, lo, hi)
        found = height_range(path, bounds, vertical)
        if found is None or (found[0] >= lo - 1.0 and found[1] <= hi + 1.0):
            break
        lo, hi = min(lo, found[0]), max(hi, found[1])
    else:  # not settled in 6 passes: the footprint of the widest heights found
        bounds = scene_footprint(product, lo, hi)
    dem = load_for_scene(path, bounds, vertical=vertical, margin_deg=0.0, margin_px=KERNEL_PX, partial=True)
    if dem.coverage < 1.0:
        dem.coverage = _covered_fraction(product, dem, (lo + hi) / 2)
        if dem.coverage == 0.0:
            raise DemError(f"{path}: DEM does not cover the scene: no ground point of {product.name} lies on it "
                           f"(its footprint: lon {bounds[0]:.4f}..{bounds[2]:.4f}, lat {bounds[1]:.4f}.."
                           f"{bounds[3]:.4f} over heights {lo:.0f}..{hi:.0f} m); uncovered: all of it")
        log.info("%s covers about %.0f %% of %s", path, 100 * dem.coverage, product.name)
    return dem


def _covered_fraction(product, dem: Dem, h: float, n: int = 17) -> float:
    """The fraction of an n × n grid of the image's pixels whose ground point at height h lies on the DEM."""
    lines, cols = product.shape
    ll, cc = np.meshgrid(np.linspace(0, lines - 1, n), np.linspace(0, cols - 1, n), indexing="ij")
    lon, lat, _ = product.rdr2geo(ll.ravel(), cc.ravel(), np.full(ll.size, h))
    if dem.crs.is_geographic:
        x, y = lon, lat
    else:
        x, y = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True).transform(lon, lat)
    col, row = ~dem.transform @ (np.asarray(x), np.asarray(y))
    ny, nx = dem.shape
    inside = (col >= KERNEL_PX) & (col <= nx - KERNEL_PX) & (row >= KERNEL_PX) & (row <= ny - KERNEL_PX)
    return float(inside.mean())
