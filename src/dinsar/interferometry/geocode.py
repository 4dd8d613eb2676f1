"""Geocoding of multilooked radar rasters onto a regular lon/lat grid (backward: output -> radar).

Each output node's ground point (lon, lat, DEM height) is taken into the master's radar
geometry by geo2rdr; the multilooked rasters are sampled there bilinearly. Also the
line-of-sight unit vector (ground -> master satellite) in east/north/up.
"""

from __future__ import annotations

import numba
import numpy as np

from dinsar.geometry.ellipsoid import geodetic_to_ecef
from dinsar.geometry.projection import sample_dem
from dinsar.geometry.radar import geo2rdr


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
    """(bands, n) samples of (bands, ny, nx) rasters at fractional (y, x); NaN outside."""
    out = np.empty((rasters.shape[0], y.size), dtype=np.float64)
    _bilinear_many(np.ascontiguousarray(rasters, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                   np.ascontiguousarray(x, dtype=np.float64), out)
    return out


def radar_coordinates(product, dem, lon: np.ndarray, lat: np.ndarray, looks: tuple[int, int]):
    """Multilooked (line, col) of ground points at lon/lat on the DEM, and their ECEF positions."""
    h = sample_dem(dem, lon.ravel(), lat.ravel())
    xyz = geodetic_to_ecef(lon.ravel(), lat.ravel(), h)
    g = product.radar_grid
    line, col = g.pixel(*geo2rdr(product.orbit, g, xyz))
    naz, nrg = looks
    # multilooked pixel k covers full-resolution k·n .. k·n + n - 1: centre k·n + (n - 1)/2
    return (line - (naz - 1) / 2) / naz, (col - (nrg - 1) / 2) / nrg, xyz


def los_enu(product, xyz: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(3, n) unit vectors from the ground point to the master satellite, in east/north/up."""
    g = product.radar_grid
    t, _ = geo2rdr(product.orbit, g, xyz)
    ok = np.isfinite(t)
    sat = np.full_like(xyz, np.nan)
    if ok.any():
        sat[ok] = product.orbit.interpolate(t[ok])[0]
    v = sat - xyz
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    lo, la = np.radians(lon.ravel()), np.radians(lat.ravel())
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], -1)
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], -1)
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    return np.stack([np.sum(v * east, 1), np.sum(v * north, 1), np.sum(v * up, 1)])
