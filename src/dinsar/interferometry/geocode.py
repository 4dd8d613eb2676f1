"""Geocoding of multilooked radar rasters onto a regular lon/lat grid (backward: output -> radar).

The output grid covers the ground footprint of the image border on the DEM, at a posting of the
multilooked pixel's ground size unless one is given. Each output node's ground point (lon, lat, DEM
height) is taken into the master's radar geometry by geo2rdr, then onto the multilooked grid; the
multilooked rasters are sampled there bilinearly, from the radar window a block of nodes falls in.
Also the line-of-sight unit vector (ground -> master satellite) in east/north/up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from dinsar.errors import DinsarError
from dinsar.geometry.ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from dinsar.geometry.multilook import MultilookGrid
from dinsar.geometry.orbit import evaluate
from dinsar.geometry.projection import radar_to_ground, sample_dem
from dinsar.geometry.radar import geo2rdr

DEG_M = 111_000.0  # metres per degree of latitude, for a posting in degrees from a ground size
BORDER_SAMPLES = 64  # ground points per image side for the footprint
PAD_PX = 2  # output pixels around the footprint


@dataclass(frozen=True)
class GeoGrid:
    """A regular WGS84 lon/lat grid: outer edges west/north, square posting (deg), ny rows × nx columns;
    row i, column j is centred at (west + (j + 0.5)·posting, north - (i + 0.5)·posting)."""

    west: float
    north: float
    posting_deg: float
    nx: int
    ny: int

    @property
    def transform(self):
        from rasterio.transform import from_origin

        return from_origin(self.west, self.north, self.posting_deg, self.posting_deg)

    def lonlat(self, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(n, nx) lon and lat of the pixel centres of rows first .. first + n - 1."""
        rows, cols = np.mgrid[first:first + n, 0:self.nx]
        return self.west + (cols + 0.5) * self.posting_deg, self.north - (rows + 0.5) * self.posting_deg


def default_posting_deg(product, mlgrid: MultilookGrid) -> float:
    """The multilooked pixel's larger ground size (azimuth, or ground range at mid-swath incidence), in
    degrees of latitude, rounded to 1e-7°: no finer than the data, no coarser either."""
    naz, nrg = mlgrid.looks
    ground = max(naz * product.azimuth_pixel_spacing_m,
                 nrg * product.range_pixel_spacing_m / np.sin(np.radians(product.incidence_angle_mid_deg)))
    return float(np.round(ground / DEG_M, 7))


def output_grid(product, dem, mlgrid: MultilookGrid, posting_deg: float | None = None) -> GeoGrid:
    """The lon/lat grid over the ground points (on the DEM) of the multilooked image's border, plus
    PAD_PX output pixels; posting_deg None: default_posting_deg."""
    if posting_deg is None:
        posting_deg = default_posting_deg(product, mlgrid)
    lines, cols = mlgrid.shape
    edge = np.linspace(0, 1, BORDER_SAMPLES)
    bl = np.concatenate([edge * (lines - 1), edge * (lines - 1), np.zeros(BORDER_SAMPLES),
                         np.full(BORDER_SAMPLES, lines - 1)])
    bc = np.concatenate([np.zeros(BORDER_SAMPLES), np.full(BORDER_SAMPLES, cols - 1), edge * (cols - 1),
                         edge * (cols - 1)])
    xyz_edge, _, ok_edge = radar_to_ground(dem, product.orbit, product.radar_grid, *mlgrid.to_full(bl, bc))
    if not ok_edge.any():
        raise DinsarError(f"{product.path}: no ground point of the image border on the DEM; cannot geocode")
    lo, la, _ = ecef_to_geodetic(xyz_edge[ok_edge])
    pad = PAD_PX * posting_deg
    west, east = lo.min() - pad, lo.max() + pad
    south, north = la.min() - pad, la.max() + pad
    return GeoGrid(float(west), float(north), posting_deg, int(np.ceil((east - west) / posting_deg)),
                   int(np.ceil((north - south) / posting_deg)))


def radar_window(y: np.ndarray, x: np.ndarray, shape: tuple[int, int]):
    """Which of the multilooked positions (y, x) fall in a raster of `shape`, and the window
    (row0, row1, col0, col1), end-exclusive, they need for bilinear sampling (one sample beyond each):
    (inside, None) where none falls inside. At least 2 × 2 (the bilinear kernel's support)."""
    lines, cols = shape
    inside = (y >= 0) & (y <= lines - 1) & (x >= 0) & (x <= cols - 1)
    if not inside.any():
        return inside, None
    r1 = min(lines, int(np.floor(y[inside].max())) + 2)
    c1 = min(cols, int(np.floor(x[inside].max())) + 2)
    r0 = max(0, min(int(np.floor(y[inside].min())), r1 - 2))
    c0 = max(0, min(int(np.floor(x[inside].min())), c1 - 2))
    return inside, (r0, r1, c0, c1)


@numba.njit(parallel=True, cache=True)
def _bilinear_many(rasters, y, x, out):
    nb, ny, nx = rasters.shape
    for i in numba.prange(y.shape[0]):
        yy, xx = y[i], x[i]
        if not (yy == yy) or yy < 0 or xx < 0 or yy > ny - 1 or xx > nx - 1:
            for b in range(nb):
                out[b, i] = np.nan
            continue
        i0 = min(int(yy), ny - 2)
        j0 = min(int(xx), nx - 2)
        wy = yy - i0
        wx = xx - j0
        for b in range(nb):
            out[b, i] = ((1 - wy) * ((1 - wx) * rasters[b, i0, j0] + wx * rasters[b, i0, j0 + 1])
                         + wy * ((1 - wx) * rasters[b, i0 + 1, j0] + wx * rasters[b, i0 + 1, j0 + 1]))


def bilinear_many(rasters: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(bands, n) samples of (bands, ny, nx) rasters (float32 kept as it is, anything else as float64) at
    fractional (y, x); NaN outside. The weights and sums are float64 either way."""
    out = np.empty((rasters.shape[0], y.size), dtype=np.float64)
    dtype = np.float32 if rasters.dtype == np.float32 else np.float64
    _bilinear_many(np.ascontiguousarray(rasters, dtype=dtype), np.ascontiguousarray(y, dtype=np.float64),
                   np.ascontiguousarray(x, dtype=np.float64), out)
    return out


def radar_coordinates(product, dem, lon: np.ndarray, lat: np.ndarray, mlgrid: MultilookGrid):
    """(line, col) on the multilooked grid of ground points at lon/lat on the DEM, their ECEF positions
    and zero-Doppler times (s since the orbit's epoch; NaN where the orbit never sees them)."""
    return radar_coordinates_at(product, lon.ravel(), lat.ravel(), sample_dem(dem, lon.ravel(), lat.ravel()), mlgrid)


def radar_coordinates_at(product, lon: np.ndarray, lat: np.ndarray, h: np.ndarray, mlgrid: MultilookGrid):
    """radar_coordinates of ground points at given ellipsoidal heights h (m) instead of the DEM's."""
    xyz = geodetic_to_ecef(lon, lat, h)
    g = product.radar_grid
    t, r = geo2rdr(product.orbit, g, xyz)
    line, col = mlgrid.to_multilooked(*g.pixel(t, r))
    return line, col, xyz, t


LOS_CHUNK = 1024  # points per thread task of _los_enu (its p/v/a scratch allocated once per chunk)


@numba.njit(parallel=True, cache=True)
def _los_enu(xyz, t, lon, lat, tnodes, coeffs, centres, scales, out):
    n = t.shape[0]
    for c in numba.prange((n + LOS_CHUNK - 1) // LOS_CHUNK):
        p = np.empty(3)
        v = np.empty(3)
        a = np.empty(3)
        for i in range(c * LOS_CHUNK, min(n, (c + 1) * LOS_CHUNK)):
            if not (t[i] == t[i]):
                out[0, i] = out[1, i] = out[2, i] = np.nan
                continue
            evaluate(tnodes, coeffs, centres, scales, t[i], p, v, a)
            dx, dy, dz = p[0] - xyz[i, 0], p[1] - xyz[i, 1], p[2] - xyz[i, 2]
            norm = math.sqrt(dx * dx + dy * dy + dz * dz)
            dx, dy, dz = dx / norm, dy / norm, dz / norm
            lo, la = math.radians(lon[i]), math.radians(lat[i])
            so, co, sa, ca = math.sin(lo), math.cos(lo), math.sin(la), math.cos(la)
            out[0, i] = -so * dx + co * dy
            out[1, i] = -sa * co * dx - sa * so * dy + ca * dz
            out[2, i] = ca * co * dx + ca * so * dy + sa * dz


def los_enu(product, xyz: np.ndarray, lon: np.ndarray, lat: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
    """(3, n) unit vectors from the ground point to the master satellite, in east/north/up; t: the
    points' zero-Doppler times when known (radar_coordinates'), else solved here."""
    if t is None:
        t, _ = geo2rdr(product.orbit, product.radar_grid, xyz)
    orbit = product.orbit

    def f64(a):
        return np.ascontiguousarray(np.ravel(a), dtype=np.float64)

    out = np.empty((3, len(t)))
    _los_enu(np.ascontiguousarray(xyz, dtype=np.float64), f64(t), f64(lon), f64(lat), orbit.t, orbit.coeffs,
             orbit.centres, orbit.scales, out)
    return out
