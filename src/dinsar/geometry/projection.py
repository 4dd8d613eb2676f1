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
                    tol_m: float = 0.01, max_iter: int = 30):
    """Ground point seen at (line, col): ECEF xyz (n, 3), ellipsoidal height, and a converged flag.

    Iterates h <- DEM(lon, lat of rdr2geo(line, col, h)); after 8 steps the update is
    halved, which settles the oscillation met on slopes near layover.
    """
    line = np.asarray(line, dtype=np.float64).ravel()
    col = np.asarray(col, dtype=np.float64).ravel()
    t = grid.first_line_s + line * grid.line_interval_s
    r = (grid.near_range_time_s + col / grid.range_sampling_rate_hz) * C / 2.0
    h = np.full(line.size, float(np.nanmean(dem.height)))
    done = np.zeros(line.size, dtype=bool)
    xyz = np.empty((line.size, 3))
    for k in range(max_iter):
        todo = ~done
        xyz[todo] = rdr2geo(orbit, grid, t[todo], r[todo], h[todo])
        lon, lat, _ = ecef_to_geodetic(xyz[todo])
        h_dem = sample_dem(dem, lon, lat)
        step = np.where(np.isfinite(h_dem), h_dem - h[todo], np.nan)
        h_todo = h[todo] + (step if k < 8 else 0.5 * step)
        converged = np.abs(step) < tol_m
        idx = np.flatnonzero(todo)
        h[idx] = h_todo
        done[idx[converged | ~np.isfinite(step)]] = True
        if done.all():
            break
    ok = np.isfinite(h)
    final = rdr2geo(orbit, grid, t[ok], r[ok], h[ok])
    xyz[ok] = final
    xyz[~ok] = np.nan
    _, _, h_check = ecef_to_geodetic(xyz[ok]) if ok.any() else (None, None, np.empty(0))
    converged = np.zeros(line.size, dtype=bool)
    converged[ok] = np.abs(h_check - sample_dem(dem, *ecef_to_geodetic(xyz[ok])[:2])) < 10 * tol_m
    return xyz, h, converged
