"""Ground points of blocks of master pixels (the DEM projection's inverse) from a table.

The point of geodetic height h on a pixel's range-Doppler circle is a smooth function of
(line, column, h) : a cubic in h over the DEM's relief to ~1e-5 m, and
quadratic across three nodes, 32 columns or up to 128 lines apart, to < 0.1 mm (linear would
leave 2.4 mm in range, the slant-to-ground curvature, and 2 cm over 256 lines, the ground track's
curvature). So for a block of lines the DEM's
pixel coordinates (fx, fy) and ECEF x, y, z of that point are solved exactly (rdr2geo) at table
nodes and LEVELS heights, and each pixel solves DEM(fx(h), fy(h)) = h by Newton on the cubics
(the DEM's bilinear gradient, from the previous pixel's height): a few ns an iteration instead of
a rdr2geo and a geodetic conversion. Pixels where Newton does not settle (layover, DEM kinks)
take the exact per-pixel solver (projection._solve_pixel). Geographic DEMs only; others take
projection.radar_to_ground.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from dinsar.geometry.dem import Dem
from dinsar.geometry.ellipsoid import ecef_to_geodetic
from dinsar.geometry.lookup import LEVELS, table_nodes
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.projection import _solve_pixel
from dinsar.geometry.radar import RadarGrid, rdr2geo

NODE_COLS = 32  # columns between nodes
NODE_LINES = 128  # lines between nodes, at most
NEWTON_STEPS = 8


def ground_block(dem: Dem, orbit: Orbit, grid: RadarGrid, first: int, n: int, cols: int, tol_m: float = 0.001,
                 heights: tuple[float, float] | None = None):
    """ECEF (3, n, cols) and ellipsoidal height (n, cols) of the ground points seen by lines
    first .. first + n - 1, all columns; NaN where unresolved (outside the DEM).

    heights: the DEM's lowest and highest height, if the caller has them (a scene's blocks share them).
    """
    if not dem.crs.is_geographic:
        raise ValueError("ground_block needs a geographic DEM")
    if heights is None:
        heights = (float(np.nanmin(dem.height)), float(np.nanmax(dem.height)))
    h_lo, h_hi = heights[0] - 1.0, heights[1] + 1.0
    h_mid, h_half = 0.5 * (h_lo + h_hi), 0.5 * (h_hi - h_lo)
    u = np.cos(np.pi * (2 * np.arange(LEVELS) + 1) / (2 * LEVELS))
    rows = table_nodes(first, n, NODE_LINES, minimum=3)
    colnodes = table_nodes(0, cols, NODE_COLS, minimum=3)
    rr, cc, uu = np.meshgrid(rows, colnodes, u, indexing="ij")
    xyz = rdr2geo(orbit, grid, grid.azimuth_time(rr), grid.slant_range(cc), h_mid + h_half * uu)
    lon, lat, _ = ecef_to_geodetic(xyz)
    tr = dem.transform
    x0, dx, y0, dy = tr.c + 0.5 * tr.a, tr.a, tr.f + 0.5 * tr.e, tr.e
    values = np.stack([(lon - x0) / dx, (lat - y0) / dy, xyz[:, 0], xyz[:, 1], xyz[:, 2]]).reshape((5,) + rr.shape)
    assert LEVELS == 4, "the kernel's polynomials are cubics"
    inv = np.linalg.inv(np.vander(u, LEVELS, increasing=True))
    coef = np.ascontiguousarray(values @ inv.T)  # (5, rows, colnodes, LEVELS): coefficients of u**k
    # quadratic Lagrange weights across the three nodes around each column
    f = (np.arange(cols) - colnodes[0]) / (colnodes[1] - colnodes[0])
    centre = np.clip(np.rint(f).astype(np.int64), 1, colnodes.size - 2)
    s = f - centre
    wcol = np.ascontiguousarray(np.stack([0.5 * s * (s - 1), 1 - s * s, 0.5 * s * (s + 1)], axis=1))
    out_xyz = np.empty((3, n, cols))
    out_h = np.empty((n, cols))
    line_t = grid.azimuth_time(np.arange(first, first + n))
    col_r = grid.slant_range(np.arange(cols))
    _solve(coef, rows[0], rows[1] - rows[0], first, centre, wcol, h_mid, h_half,
           np.ascontiguousarray(dem.height, dtype=np.float64), line_t, col_r, orbit.t, orbit.coeffs, orbit.centres,
           orbit.scales, np.asarray(grid.doppler_poly, dtype=np.float64), grid.doppler_ref_s, grid.wavelength_m,
           x0, dx, y0, dy, h_lo, h_hi, tol_m, out_xyz, out_h)
    return out_xyz, out_h


@numba.njit(cache=True, inline="always")
def _cubic(row, j0, w0, w1, w2, q, u):
    """Value and u-derivative of quantity q's cubic, blended across column nodes j0 .. j0 + 2."""
    c0 = w0 * row[j0, q, 0] + w1 * row[j0 + 1, q, 0] + w2 * row[j0 + 2, q, 0]
    c1 = w0 * row[j0, q, 1] + w1 * row[j0 + 1, q, 1] + w2 * row[j0 + 2, q, 1]
    c2 = w0 * row[j0, q, 2] + w1 * row[j0 + 1, q, 2] + w2 * row[j0 + 2, q, 2]
    c3 = w0 * row[j0, q, 3] + w1 * row[j0 + 1, q, 3] + w2 * row[j0 + 2, q, 3]
    return ((c3 * u + c2) * u + c1) * u + c0, (3.0 * c3 * u + 2.0 * c2) * u + c1


@numba.njit(parallel=True, cache=True)
def _solve(coef, row0, drow, first, centre, wcol, h_mid, h_half, height, line_t, col_r, tnodes, ocoef, centres,
           scales, dpoly, dref, wavelength, x0, dx, y0, dy, h_lo, h_hi, tol, out_xyz, out_h):
    nq, _, ncn, levels = coef.shape
    ny, nx = height.shape
    for i in numba.prange(out_h.shape[0]):
        fr = (first + i - row0) / drow
        ic = min(max(int(math.floor(fr + 0.5)), 1), coef.shape[1] - 2)
        s = fr - ic
        r0, r1, r2 = 0.5 * s * (s - 1), 1 - s * s, 0.5 * s * (s + 1)
        row = np.empty((ncn, nq, levels))  # this line's coefficients at every column node
        for q in range(nq):
            for j in range(ncn):
                for k in range(levels):
                    row[j, q, k] = r0 * coef[q, ic - 1, j, k] + r1 * coef[q, ic, j, k] + r2 * coef[q, ic + 1, j, k]
        p = np.empty(3)
        v = np.empty(3)
        a = np.empty(3)
        h = h_mid
        dh = 0.0  # the height change between the last two pixels: the next start is extrapolated
        for j in range(out_h.shape[1]):
            j0 = centre[j] - 1
            w0, w1, w2 = wcol[j, 0], wcol[j, 1], wcol[j, 2]
            done = False
            h_prev = h
            h = min(max(h + dh, h_lo), h_hi)
            for _ in range(NEWTON_STEPS):
                u = (h - h_mid) / h_half
                fx, dfx = _cubic(row, j0, w0, w1, w2, 0, u)
                fy, dfy = _cubic(row, j0, w0, w1, w2, 1, u)
                jx = int(math.floor(fx))
                iy = int(math.floor(fy))
                if jx < 0 or iy < 0 or jx + 1 >= nx or iy + 1 >= ny:
                    break
                tx = fx - jx
                ty = fy - iy
                h00, h01 = height[iy, jx], height[iy, jx + 1]
                h10, h11 = height[iy + 1, jx], height[iy + 1, jx + 1]
                d = (1 - ty) * ((1 - tx) * h00 + tx * h01) + ty * ((1 - tx) * h10 + tx * h11)
                g = d - h
                if abs(g) < tol:
                    done = True
                    break
                ddx = (1 - ty) * (h01 - h00) + ty * (h11 - h10)
                ddy = (1 - tx) * (h10 - h00) + tx * (h11 - h01)
                gp = (ddx * dfx + ddy * dfy) / h_half - 1.0
                if gp == 0.0 or not (gp == gp):
                    break
                h = min(max(h - g / gp, h_lo), h_hi)
            if done:
                u = (h - h_mid) / h_half
                for q in range(2, 5):
                    out_xyz[q - 2, i, j] = _cubic(row, j0, w0, w1, w2, q, u)[0]
                out_h[i, j] = h
                dh = h - h_prev
                continue
            dh = 0.0
            x, y, z, hs, ok = _solve_pixel(line_t[i], col_r[j], h_prev, tnodes, ocoef, centres, scales, dpoly, dref,
                                           wavelength, height, x0, dx, y0, dy, h_lo, h_hi, tol, p, v, a)
            if ok:
                out_xyz[0, i, j], out_xyz[1, i, j], out_xyz[2, i, j] = x, y, z
                out_h[i, j] = hs
                h = hs
            else:
                out_xyz[0, i, j] = out_xyz[1, i, j] = out_xyz[2, i, j] = np.nan
                out_h[i, j] = np.nan
                h = h_mid
