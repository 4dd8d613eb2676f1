"""DEM projection into radar geometry (DiapOTB SARDEMProjection + cartesian mean estimation).

Forward: every DEM sample -> (line, column) of the master image (geo2rdr).
Inverse: every master pixel -> the ground point seen there (rdr2geo iterated on
the DEM height), giving its ellipsoidal height and ECEF X/Y/Z.
"""

from __future__ import annotations

import numba
import numpy as np
from pyproj import Transformer

from dinsar.geometry.dem import Dem
from dinsar.geometry.ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import C, RadarGrid, geo2rdr, rdr2geo


def dem_to_radar(dem: Dem, orbit: Orbit, grid: RadarGrid, rows: slice | None = None):
    """(line, column, ECEF xyz) of DEM samples in `rows` (all rows by default); NaN where unseen."""
    rows = rows or slice(0, dem.shape[0])
    rr, cc = np.mgrid[rows, 0:dem.shape[1]]
    lon, lat = dem.lonlat(rr.ravel(), cc.ravel())
    xyz = geodetic_to_ecef(lon, lat, dem.height[rows].ravel())
    t, r = geo2rdr(orbit, grid, xyz)
    line = (t - grid.first_line_s) / grid.line_interval_s
    col = (2.0 * r / C - grid.near_range_time_s) * grid.range_sampling_rate_hz
    return line.reshape(rr.shape), col.reshape(rr.shape), xyz.reshape(rr.shape + (3,))


@numba.njit(parallel=True, cache=True)
def _bilinear(height, x0, dx, y0, dy, x, y, out):
    ny, nx = height.shape
    for i in numba.prange(x.shape[0]):
        fx = (x[i] - x0) / dx
        fy = (y[i] - y0) / dy
        j0 = int(np.floor(fx))
        i0 = int(np.floor(fy))
        if j0 < 0 or i0 < 0 or j0 + 1 >= nx or i0 + 1 >= ny:
            out[i] = np.nan
            continue
        wx = fx - j0
        wy = fy - i0
        out[i] = ((1 - wy) * ((1 - wx) * height[i0, j0] + wx * height[i0, j0 + 1])
                  + wy * ((1 - wx) * height[i0 + 1, j0] + wx * height[i0 + 1, j0 + 1]))


def sample_dem(dem: Dem, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Bilinear DEM height at lon/lat (NaN outside the DEM)."""
    if dem.crs.is_geographic:
        x, y = lon, lat
    else:
        x, y = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True).transform(lon, lat)
    t = dem.transform
    out = np.empty(len(lon))
    # pixel centres: x = x0 + (j + 0.5) dx
    _bilinear(dem.height, t.c + 0.5 * t.a, t.a, t.f + 0.5 * t.e, t.e,
              np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64), out)
    return out


def radar_to_ground(dem: Dem, orbit: Orbit, grid: RadarGrid, line: np.ndarray, col: np.ndarray,
                    tol_m: float = 0.01, max_iter: int = 12):
    """Ground point seen at (line, col): ECEF xyz (n, 3), ellipsoidal height, and a resolved flag.

    Solves g(h) = DEM(lon, lat of rdr2geo(line, col, h)) - h = 0 by the secant method,
    which settles most pixels in a few steps; the rest (layover, where several heights
    qualify, and secant steps thrown off by DEM kinks) are found by bisection between the
    DEM's lowest and highest heights, which always brackets a solution. NaN where the DEM
    has no height at the ground point (outside it).
    """
    line = np.asarray(line, dtype=np.float64).ravel()
    col = np.asarray(col, dtype=np.float64).ravel()
    t = grid.first_line_s + line * grid.line_interval_s
    r = (grid.near_range_time_s + col / grid.range_sampling_rate_hz) * C / 2.0

    def misfit(idx, h):
        xyz = rdr2geo(orbit, grid, t[idx], r[idx], h)
        lon, lat, _ = ecef_to_geodetic(xyz)
        return sample_dem(dem, lon, lat) - h

    h_min, h_max = float(np.nanmin(dem.height)) - 1.0, float(np.nanmax(dem.height)) + 1.0
    # secant iterations on g(h) = DEM - h, started from one fixed-point step
    h0 = np.full(line.size, float(np.nanmean(dem.height)))
    g0 = misfit(np.arange(line.size), h0)
    h = np.clip(h0 + np.where(np.isfinite(g0), g0, 0.0), h_min, h_max)
    done = np.abs(g0) < tol_m
    h[done] = h0[done]
    for _ in range(max_iter):
        idx = np.flatnonzero(~done)
        if idx.size == 0:
            break
        g1 = misfit(idx, h[idx])
        done[idx[np.abs(g1) < tol_m]] = True
        denom = g1 - g0[idx]
        dh = h[idx] - h0[idx]
        ok = np.isfinite(g1) & (np.abs(denom) > 1e-12)
        step = np.where(ok, -g1 * dh / np.where(ok, denom, 1.0), 0.0)
        h0[idx], g0[idx] = h[idx], g1
        h[idx] = np.clip(h[idx] + np.where(np.abs(g1) < tol_m, 0.0, step), h_min, h_max)
    idx = np.flatnonzero(~done)
    if idx.size:
        lo = np.full(idx.size, float(np.nanmin(dem.height)) - 1.0)
        hi = np.full(idx.size, float(np.nanmax(dem.height)) + 1.0)
        g_lo = misfit(idx, lo)  # > 0 wherever the DEM has data
        for _ in range(int(np.ceil(np.log2((hi[0] - lo[0]) / tol_m))) + 1):
            mid = 0.5 * (lo + hi)
            g_mid = misfit(idx, mid)
            same = np.sign(g_mid) == np.sign(g_lo)
            lo = np.where(same, mid, lo)
            g_lo = np.where(same, g_mid, g_lo)
            hi = np.where(same, hi, mid)
        h[idx] = 0.5 * (lo + hi)
    xyz = rdr2geo(orbit, grid, t, r, h)
    lon, lat, _ = ecef_to_geodetic(xyz)
    resolved = np.abs(sample_dem(dem, lon, lat) - h) < 10 * tol_m
    h[~resolved] = np.nan
    xyz[~resolved] = np.nan
    return xyz, h, resolved
