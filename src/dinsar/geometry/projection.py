"""DEM projection into radar geometry (DiapOTB SARDEMProjection + cartesian mean estimation).

Forward: every DEM sample -> (line, column) of the master image (geo2rdr).
Inverse: every master pixel -> the ground point seen there (rdr2geo iterated on
the DEM height), giving its ellipsoidal height and ECEF X/Y/Z.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from pyproj import Transformer

from dinsar.geometry import ellipsoid
from dinsar.geometry.dem import Dem
from dinsar.geometry.ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from dinsar.geometry.orbit import Orbit, evaluate
from dinsar.geometry.radar import RadarGrid, _doppler_factor, geo2rdr, rdr2geo, rdr2geo_point, zero_doppler_frame


def dem_to_radar(dem: Dem, orbit: Orbit, grid: RadarGrid, rows: slice | None = None):
    """(line, column, ECEF xyz) of DEM samples in `rows` (all rows by default); NaN where unseen."""
    rows = rows or slice(0, dem.shape[0])
    rr, cc = np.mgrid[rows, 0:dem.shape[1]]
    lon, lat = dem.lonlat(rr.ravel(), cc.ravel())
    xyz = geodetic_to_ecef(lon, lat, dem.height[rows].ravel())
    line, col = grid.pixel(*geo2rdr(orbit, grid, xyz))
    return line.reshape(rr.shape), col.reshape(rr.shape), xyz.reshape(rr.shape + (3,))


@numba.njit(cache=True)
def _dem_at(height, x0, dx, y0, dy, lon, lat):
    """Bilinear DEM height at lon/lat (grid coordinates x0 + j·dx, y0 + i·dy); NaN outside."""
    fx = (lon - x0) / dx
    fy = (lat - y0) / dy
    j0 = int(np.floor(fx))
    i0 = int(np.floor(fy))
    if j0 < 0 or i0 < 0 or j0 + 1 >= height.shape[1] or i0 + 1 >= height.shape[0]:
        return np.nan
    wx = fx - j0
    wy = fy - i0
    return ((1 - wy) * ((1 - wx) * height[i0, j0] + wx * height[i0, j0 + 1])
            + wy * ((1 - wx) * height[i0 + 1, j0] + wx * height[i0 + 1, j0 + 1]))


@numba.njit(parallel=True, cache=True)
def _bilinear(height, x0, dx, y0, dy, x, y, out):
    for i in numba.prange(x.shape[0]):
        out[i] = _dem_at(height, x0, dx, y0, dy, x[i], y[i])


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


@numba.njit(cache=True)
def _misfit(t, r, h, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, height, x0, dx, y0, dy, p, v, a):
    """DEM height minus h at the point seen at (t, r) on the surface of geodetic height h; and that point."""
    x, y, z = rdr2geo_point(t, r, h, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, 1.0, p, v, a)
    lon, lat, _ = ellipsoid.xyz_to_llh_surface(x, y, z)
    return _dem_at(height, x0, dx, y0, dy, lon, lat) - h, x, y, z


@numba.njit(cache=True)
def _solve_pixel(t, r, guess, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, height, x0, dx, y0, dy,
                 h_min, h_max, tol, p, v, a):
    """The general per-pixel solver: secant on the height from `guess`, then bisection between the
    DEM's extremes. Returns (x, y, z, h, resolved)."""
    args = (tnodes, coeffs, centres, scales, dpoly, dref, wavelength, height, x0, dx, y0, dy, p, v, a)
    h0 = guess
    g0, x, y, z = _misfit(t, r, h0, *args)
    done = abs(g0) < tol
    h = h0
    if not done and g0 == g0:
        h1 = min(max(h0 + g0, h_min), h_max)
        for _ in range(12):  # secant steps
            g1, x, y, z = _misfit(t, r, h1, *args)
            if not (g1 == g1):
                break
            if abs(g1) < tol:
                h, done = h1, True
                break
            if g1 == g0:
                break
            h2 = min(max(h1 - g1 * (h1 - h0) / (g1 - g0), h_min), h_max)
            h0, g0, h1 = h1, g1, h2
    if not done:  # bisection between the DEM's extremes always brackets a solution
        lo, hi = h_min, h_max
        g_lo, x, y, z = _misfit(t, r, lo, *args)
        if g_lo == g_lo:
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                g_mid, x, y, z = _misfit(t, r, mid, *args)
                if not (g_mid == g_mid):
                    break
                if (g_mid > 0) == (g_lo > 0):
                    lo, g_lo = mid, g_mid
                else:
                    hi = mid
                if hi - lo < tol:
                    break
            h = 0.5 * (lo + hi)
            g_end, x, y, z = _misfit(t, r, h, *args)
            done = abs(g_end) < 10 * tol
    return x, y, z, h, done


@numba.njit(parallel=True, cache=True)
def _ground(t_arr, r_arr, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, height, x0, dx, y0, dy,
            h_min, h_max, h_start, tol, out_xyz, out_h):
    """Rows in parallel. A row is one azimuth time: the sensor state is evaluated once, and each
    pixel's ground point is found on its range circle (the look angle θ) by secant steps on
    f(θ) = geodetic height - DEM height, started from its neighbours' θ extrapolated, with the
    neighbour's last slope df/dθ for the first step (on a smooth DEM facet one or two evaluations
    settle a pixel); pixels where that does not settle take the general solver (_solve_pixel)."""
    for row in numba.prange(t_arr.shape[0]):
        p = np.empty(3)
        v = np.empty(3)
        a = np.empty(3)
        guess = h_start
        theta_prev = np.nan
        dtheta_prev = 0.0  # θ step between the last two solved pixels
        slope_prev = np.nan  # df/dθ at the last solved pixel
        t_row = t_arr[row, 0]
        evaluate(tnodes, coeffs, centres, scales, t_row, p, v, a)
        vn, vh0, vh1, vh2, _, ux, uy, uz, cx, cy, cz = zero_doppler_frame(p, v, 1.0)  # right-looking
        px, py, pz = p[0], p[1], p[2]
        for col in range(t_arr.shape[1]):
            t, r = t_arr[row, col], r_arr[row, col]
            done = False
            x = y = z = h = np.nan
            if t == t_row and theta_prev == theta_prev:
                alpha = _doppler_factor(dpoly, dref, wavelength, r) / vn
                beta = math.sqrt(max(0.0, 1.0 - alpha * alpha))
                th0 = th_old = theta_prev + dtheta_prev
                f0 = np.nan
                for it in range(10):
                    ct, st = math.cos(th0), math.sin(th0)
                    x = px + r * (alpha * vh0 + beta * (-ct * ux + st * cx))
                    y = py + r * (alpha * vh1 + beta * (-ct * uy + st * cy))
                    z = pz + r * (alpha * vh2 + beta * (-ct * uz + st * cz))
                    lon, lat, hg = ellipsoid.xyz_to_llh_surface(x, y, z)
                    d = _dem_at(height, x0, dx, y0, dy, lon, lat)
                    f = hg - d
                    if not (f == f):
                        break
                    if it > 0 and f != f0:
                        slope_prev = (f - f0) / (th0 - th_old)
                    if abs(f) < tol:
                        h, done = hg, True
                        dtheta_prev = th0 - theta_prev
                        theta_prev = th0
                        break
                    if it == 0:
                        th1 = th0 - f / slope_prev if slope_prev == slope_prev and slope_prev != 0 else th0 + 1e-6
                    elif f == f0:
                        break
                    else:
                        th1 = th0 - f / slope_prev
                    th_old, f0, th0 = th0, f, th1
            if not done:
                x, y, z, h, done = _solve_pixel(t, r, guess, tnodes, coeffs, centres, scales, dpoly, dref, wavelength,
                                                height, x0, dx, y0, dy, h_min, h_max, tol, p, v, a)
                if t != t_row:  # _solve_pixel evaluated the orbit at another time: restore the row's state
                    evaluate(tnodes, coeffs, centres, scales, t_row, p, v, a)
                if done:  # the look angle of the solution: the next pixel's start
                    dxp, dyp, dzp = x - px, y - py, z - pz
                    theta_prev = math.atan2(dxp * cx + dyp * cy + dzp * cz, -(dxp * ux + dyp * uy + dzp * uz))
                dtheta_prev = 0.0
                slope_prev = np.nan
            if done:
                out_xyz[row, col, 0], out_xyz[row, col, 1], out_xyz[row, col, 2] = x, y, z
                out_h[row, col] = h
                guess = h
            else:
                out_xyz[row, col, 0] = out_xyz[row, col, 1] = out_xyz[row, col, 2] = np.nan
                out_h[row, col] = np.nan
                theta_prev = np.nan


def radar_to_ground(dem: Dem, orbit: Orbit, grid: RadarGrid, line: np.ndarray, col: np.ndarray,
                    tol_m: float = 0.001, max_iter: int = 12):
    """Ground point seen at (line, col): ECEF xyz (n, 3), ellipsoidal height, and a resolved flag.

    Solves DEM(lon, lat of rdr2geo(line, col, h)) = h per pixel in one numba kernel for
    geographic DEMs (secant steps, then bisection between the DEM's extremes); other CRSs
    take the vectorised path below.
    """
    if not dem.crs.is_geographic:
        return _radar_to_ground_any_crs(dem, orbit, grid, line, col, tol_m, max_iter)
    line, col = np.broadcast_arrays(np.asarray(line, dtype=np.float64), np.asarray(col, dtype=np.float64))
    shape2d = line.shape if line.ndim == 2 else (1, line.size)
    t = np.ascontiguousarray(grid.azimuth_time(line).reshape(shape2d))
    r = np.ascontiguousarray(grid.slant_range(col).reshape(shape2d))
    orbit.check(t, "azimuth time")
    tr = dem.transform
    xyz = np.empty(shape2d + (3,))
    h = np.empty(shape2d)
    _ground(t, r, orbit.t, orbit.coeffs, orbit.centres, orbit.scales, np.asarray(grid.doppler_poly, dtype=np.float64),
            grid.doppler_ref_s, grid.wavelength_m, np.ascontiguousarray(dem.height, dtype=np.float64),
            tr.c + 0.5 * tr.a, tr.a, tr.f + 0.5 * tr.e, tr.e, float(np.nanmin(dem.height)) - 1.0,
            float(np.nanmax(dem.height)) + 1.0, float(np.nanmean(dem.height)), tol_m, xyz, h)
    return xyz.reshape(-1, 3), h.ravel(), np.isfinite(h.ravel())


def _radar_to_ground_any_crs(dem: Dem, orbit: Orbit, grid: RadarGrid, line: np.ndarray, col: np.ndarray,
                             tol_m: float = 0.001, max_iter: int = 12):
    """Ground point seen at (line, col): ECEF xyz (n, 3), ellipsoidal height, and a resolved flag.

    Solves g(h) = DEM(lon, lat of rdr2geo(line, col, h)) - h = 0 by the secant method,
    which settles most pixels in a few steps; the rest (layover, where several heights
    qualify, and secant steps thrown off by DEM kinks) are found by bisection between the
    DEM's lowest and highest heights, which always brackets a solution. NaN where the DEM
    has no height at the ground point (outside it).
    """
    line = np.asarray(line, dtype=np.float64).ravel()
    col = np.asarray(col, dtype=np.float64).ravel()
    t = grid.azimuth_time(line)
    r = grid.slant_range(col)

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
