"""Radar coordinates and LOS vectors of a block of output rows from exact solutions on a coarse grid.

geo2rdr (a Newton search on the orbit) and the LOS vector (the orbit at the solved time) of every output
node are most of a geocoding's work, yet both are smooth functions of the node's lon, lat and height: the
orbit is near straight over a few hundred metres, and the slant range bends with the height by sin²θ / R
(~2e-7 per metre). So they are solved exactly on every COARSE-th node of the block (and its last row and
column), at three heights spanning the block's DEM heights, and interpolated at each node: bilinearly
between the coarse nodes, by the quadratic through the three heights at the node's own DEM height.
Against the exact per-node solution on a real Sentinel-1 StripMap orbit over terrain spanning 2900 m in
4 km (tests/unit/test_geocode_grid.py): 3.6e-4 multilooked pixels at most (~5 mm on the ground) and 3.3e-9
in the unit vector, for 3/COARSE² of the orbit solutions.

Coarse cells with a corner the orbit never sees (NaN) fall back to the exact solution node by node.
"""

from __future__ import annotations

import numba
import numpy as np

from dinsar.geometry.multilook import MultilookGrid
from dinsar.geometry.projection import sample_dem

COARSE = 8  # output nodes between exact solutions (both directions): 1/64 of them solved, at 3 heights
MIN_HEIGHT_SPAN_M = 10.0  # the three heights are at least this far apart (a flat block)


def _coarse_index(n: int) -> np.ndarray:
    idx = np.arange(0, n, COARSE)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def _exact(product, lon, lat, h, mlgrid: MultilookGrid) -> np.ndarray:
    """(5, n): multilooked line, column and the LOS unit vector (east, north, up) of ground points."""
    from dinsar.interferometry.geocode import los_enu, radar_coordinates_at

    line, col, xyz, t = radar_coordinates_at(product, lon, lat, h, mlgrid)
    return np.vstack([line, col, los_enu(product, xyz, lon, lat, t)])


def radar_coordinates_block(product, dem, lon: np.ndarray, lat: np.ndarray, mlgrid: MultilookGrid):
    """(line, col, enu) of the (n, nx) output nodes lon/lat (a block of rows of a regular grid) on the DEM:
    line, col (n·nx,) on the multilooked grid, enu (3, n·nx); NaN where the DEM has no height or the orbit
    never sees the node."""
    n, nx = lon.shape
    h = sample_dem(dem, lon.ravel(), lat.ravel())
    finite = h[np.isfinite(h)]
    out = np.full((5, n * nx), np.nan)
    if finite.size == 0:
        return out[0], out[1], out[2:]
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < MIN_HEIGHT_SPAN_M:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - 0.5 * MIN_HEIGHT_SPAN_M, mid + 0.5 * MIN_HEIGHT_SPAN_M
    heights = np.array([lo, 0.5 * (lo + hi), hi])
    rows, cols = _coarse_index(n), _coarse_index(nx)
    clon, clat = lon[np.ix_(rows, cols)], lat[np.ix_(rows, cols)]
    # (3 heights, 5 quantities, coarse rows, coarse cols)
    coarse = np.stack([_exact(product, clon.ravel(), clat.ravel(), np.full(clon.size, hh), mlgrid)
                       .reshape(5, rows.size, cols.size) for hh in heights])
    todo = np.zeros(n * nx, dtype=np.bool_)
    _interpolate(coarse, heights, rows, cols, h.reshape(n, nx), out.reshape(5, n, nx), todo.reshape(n, nx))
    if todo.any():  # cells the orbit does not see wholly: node by node
        out[:, todo] = _exact(product, lon.ravel()[todo], lat.ravel()[todo], h[todo], mlgrid)
    return out[0], out[1], out[2:]


@numba.njit(cache=True, inline="always")
def _bilinear(coarse, k, q, a, b, wy, wx):
    return ((1 - wy) * ((1 - wx) * coarse[k, q, a, b] + wx * coarse[k, q, a, b + 1])
            + wy * ((1 - wx) * coarse[k, q, a + 1, b] + wx * coarse[k, q, a + 1, b + 1]))


@numba.njit(parallel=True, cache=True)
def _interpolate(coarse, heights, rows, cols, h, out, todo):
    nq = coarse.shape[1]
    h0, h1, h2 = heights[0], heights[1], heights[2]
    for i in numba.prange(h.shape[0]):
        # the coarse nodes are every COARSE-th row / column, then the last: cell = index // COARSE
        a = min(i // COARSE, rows.shape[0] - 2)
        wy = (i - rows[a]) / (rows[a + 1] - rows[a])
        for j in range(h.shape[1]):
            hh = h[i, j]
            if not (hh == hh):
                continue
            b = min(j // COARSE, cols.shape[0] - 2)
            wx = (j - cols[b]) / (cols[b + 1] - cols[b])
            # Lagrange weights of the node's height on the three heights
            l0 = (hh - h1) * (hh - h2) / ((h0 - h1) * (h0 - h2))
            l1 = (hh - h0) * (hh - h2) / ((h1 - h0) * (h1 - h2))
            l2 = (hh - h0) * (hh - h1) / ((h2 - h0) * (h2 - h1))
            seen = True
            for q in range(nq):
                v = (l0 * _bilinear(coarse, 0, q, a, b, wy, wx) + l1 * _bilinear(coarse, 1, q, a, b, wy, wx)
                     + l2 * _bilinear(coarse, 2, q, a, b, wy, wx))
                if not (v == v):
                    seen = False
                    break
                out[q, i, j] = v
            if not seen:
                todo[i, j] = True
            else:  # the interpolated vector, back to unit length
                norm = np.sqrt(out[2, i, j] ** 2 + out[3, i, j] ** 2 + out[4, i, j] ** 2)
                for q in range(2, 5):
                    out[q, i, j] /= norm
