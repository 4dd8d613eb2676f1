"""Where another orbit sees each master pixel's ground point: exact at table nodes, interpolated per pixel.

A master pixel's ground point is fixed by its (line, column) and its height h (the point of
geodetic height h on the pixel's range-Doppler circle), so the slave's (line, column) of it is a
function of (line, column, h) alone, and a smooth one: over the few km of a scene's relief it is a
cubic in h to < 1e-9 px (the circle's curvature), along azimuth near linear, and in range its
curvature leaves < 3e-7 px between nodes 32 columns apart (the error grows as the step squared).
So for a block of lines the slave position is solved exactly (rdr2geo on the master orbit,
geo2rdr on the slave's) at nodes NODE_LINES × NODE_COLS apart and at LEVELS heights spanning the
block's heights, fitted by a polynomial in h at each node, and each pixel takes the bilinear blend
of its four nodes' polynomials at its own h: ~10 ns a pixel instead of a geo2rdr, and exact to
< 1e-6 px = 2 µm of range (4e-4 rad of C-band phase).
Tested against per-pixel geo2rdr (tests/unit/test_geometry_lookup.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from dinsar.geometry.radar import geo2rdr, rdr2geo

NODE_LINES = 256  # lines between table nodes: along azimuth the offsets are near linear (error < 1e-9 px)
NODE_COLS = 32  # columns between table nodes: the range curvature gives < 3e-7 px at 32 (grows as the step²)
LEVELS = 4  # heights per node (Chebyshev nodes of the block's height range): a cubic in h


def table_nodes(first: int, n: int, step: int, minimum: int = 2) -> np.ndarray:
    """Equally spaced node positions from first to first + n - 1 (at least `minimum`), at most step apart."""
    k = max(minimum, math.ceil((n - 1) / step) + 1)
    return np.linspace(first, first + max(n - 1, 1), k)


def slave_offsets(master, slave, first: int, height: np.ndarray, residual=None, absolute: bool = False,
                  lines: bool = True):
    """Slave line - master line and slave column - master column (float64, pixels) of the ground
    points seen by master lines first .. first + n - 1 (all columns) at heights `height` (n, cols);
    NaN where the height is NaN or the slave orbit does not see the point.

    residual: a dinsar.interferometry.grid.Residual added (per pixel, exactly); absolute: return
    the slave line and column instead of the offsets; lines=False: the columns only (the line
    offsets are then None: the flattening phase needs only the range).
    """
    n, cols = height.shape
    out_l = np.full((n, cols), np.nan) if lines else np.empty((0, 0))
    out_c = np.full((n, cols), np.nan)
    finite = np.isfinite(height)
    if not finite.any():
        return (out_l if lines else None), out_c
    h_lo, h_hi = float(height[finite].min()), float(height[finite].max())
    h_mid, h_half = 0.5 * (h_lo + h_hi), max(0.5 * (h_hi - h_lo), 0.5)
    u = np.cos(np.pi * (2 * np.arange(LEVELS) + 1) / (2 * LEVELS))
    rows, colnodes = table_nodes(first, n, NODE_LINES), table_nodes(0, cols, NODE_COLS)
    gm, gs = master.radar_grid, slave.radar_grid
    rr, cc, uu = np.meshgrid(rows, colnodes, u, indexing="ij")
    xyz = rdr2geo(master.orbit, gm, gm.azimuth_time(rr), gm.slant_range(cc), h_mid + h_half * uu)
    ls, cs = gs.pixel(*geo2rdr(slave.orbit, gs, xyz))
    dl, dc = ls.reshape(rr.shape) - rr, cs.reshape(rr.shape) - cc
    # the polynomial in u through the LEVELS samples: coefficients[..., k] of u**k
    inv = np.linalg.inv(np.vander(u, LEVELS, increasing=True))
    coef = np.ascontiguousarray(np.stack([dl @ inv.T, dc @ inv.T]))  # (2, rows, colnodes, LEVELS)
    fc = (np.arange(cols) - colnodes[0]) / (colnodes[1] - colnodes[0])
    j0 = np.minimum(fc.astype(np.int64), colnodes.size - 2)
    if residual is None:
        res = (0, (1.0, 1.0), np.zeros(1), np.zeros(1))
    else:
        res = (residual.degree, residual.scale, residual.coeff_line, residual.coeff_col)
    _evaluate(coef, rows[0], rows[1] - rows[0], j0, fc - j0, first,
              np.ascontiguousarray(height, dtype=np.float32 if height.dtype == np.float32 else np.float64), h_mid,
              h_half, res[0], float(res[1][0]), float(res[1][1]), np.asarray(res[2], np.float64),
              np.asarray(res[3], np.float64), absolute, lines, out_l, out_c)
    return (out_l if lines else None), out_c


@numba.njit(parallel=True, cache=True)
def _evaluate(coef, row0, drow, j0, wx, first, height, h_mid, h_half, degree, scale_l, scale_c, res_l, res_c,
              absolute, lines, out_l, out_c):
    levels = coef.shape[3]
    last_cell = coef.shape[1] - 2
    for i in numba.prange(height.shape[0]):
        line = first + i
        fr = (line - row0) / drow
        i0 = min(int(fr), last_cell)
        wy = fr - i0
        ql = np.empty(levels)
        qc = np.empty(levels)
        for j in range(height.shape[1]):
            h = height[i, j]
            if not (h == h):
                continue
            jj, w = j0[j], wx[j]
            w00, w01, w10, w11 = (1 - wy) * (1 - w), (1 - wy) * w, wy * (1 - w), wy * w
            for k in range(levels):
                ql[k] = (w00 * coef[0, i0, jj, k] + w01 * coef[0, i0, jj + 1, k]
                         + w10 * coef[0, i0 + 1, jj, k] + w11 * coef[0, i0 + 1, jj + 1, k])
                qc[k] = (w00 * coef[1, i0, jj, k] + w01 * coef[1, i0, jj + 1, k]
                         + w10 * coef[1, i0 + 1, jj, k] + w11 * coef[1, i0 + 1, jj + 1, k])
            u = (h - h_mid) / h_half
            vl = ql[levels - 1]
            vc = qc[levels - 1]
            for k in range(levels - 2, -1, -1):
                vl = vl * u + ql[k]
                vc = vc * u + qc[k]
            # the residual polynomial (zero without one), terms u^(d-k) v^k as in grid.Residual
            vl += res_l[0]
            vc += res_c[0]
            if degree > 0:
                ru = line / scale_l
                rv = j / scale_c
                t = 1
                for d in range(1, degree + 1):
                    for k in range(d + 1):
                        term = ru ** (d - k) * rv**k
                        vl += res_l[t] * term
                        vc += res_c[t] * term
                        t += 1
            if absolute:
                vl += line
                vc += j
            if lines:
                out_l[i, j] = vl
            out_c[i, j] = vc


def slave_offsets_exact(master, slave, first: int, height: np.ndarray):
    """The reference: rdr2geo and geo2rdr for every pixel (what slave_offsets approximates)."""
    n, cols = height.shape
    gm, gs = master.radar_grid, slave.radar_grid
    rr, cc = np.mgrid[first:first + n, 0:cols].astype(np.float64)
    h = np.asarray(height, dtype=np.float64)
    ok = np.isfinite(h)
    xyz = rdr2geo(master.orbit, gm, gm.azimuth_time(rr[ok]), gm.slant_range(cc[ok]), h[ok])
    ls, cs = gs.pixel(*geo2rdr(slave.orbit, gs, xyz))
    dl = np.full((n, cols), np.nan)
    dc = np.full((n, cols), np.nan)
    dl[ok] = ls - rr[ok]
    dc[ok] = cs - cc[ok]
    return dl, dc
