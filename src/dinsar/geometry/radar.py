"""geo2rdr and rdr2geo: numba kernels over arrays of points, and the radar grid they use.

Conventions (../shared/DESIGN.md): line = (t - first line time) / line interval,
column = (2R/c - near range time) · range sampling rate, pixel centres at
integers. Doppler: f_D(τ) = Σ d_i (τ - τ_ref)^i with τ = 2R/c, constant along
azimuth (zero for Sentinel-1's zero-Doppler geometry); a target is seen when
(X - P)·V = (λ/2) f_D R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from dinsar.geometry import ellipsoid
from dinsar.geometry.orbit import Orbit, evaluate

C = 299_792_458.0


@dataclass(frozen=True)
class RadarGrid:
    first_line_s: float  # seconds since the orbit epoch
    line_interval_s: float
    near_range_time_s: float  # two-way
    range_sampling_rate_hz: float
    wavelength_m: float
    doppler_poly: tuple[float, ...] = (0.0,)  # Hz, in (τ - doppler_ref_s)
    doppler_ref_s: float = 0.0

    def azimuth_time(self, line):
        """Seconds since the orbit epoch of (fractional) line `line`."""
        return self.first_line_s + np.asarray(line, dtype=np.float64) * self.line_interval_s

    def slant_range(self, col):
        """One-way slant range (m) of (fractional) column `col`."""
        return (self.near_range_time_s + np.asarray(col, dtype=np.float64) / self.range_sampling_rate_hz) * C / 2

    def slant_range_coefficients(self) -> tuple[float, float]:
        """(a, b): slant_range(col) = a + b · col, in m and m per column."""
        return self.near_range_time_s * C / 2, C / (2 * self.range_sampling_rate_hz)

    def pixel(self, t, r):
        """(line, column) of azimuth time t and slant range r: the inverse of the two above."""
        return (t - self.first_line_s) / self.line_interval_s, (2 * r / C - self.near_range_time_s) * \
            self.range_sampling_rate_hz


@numba.njit(cache=True, inline="always")
def _doppler_factor(dpoly, dref, wavelength, r):
    """(λ/2) f_D(τ) for slant range r: the right-hand side factor of the Doppler equation."""
    tau = 2.0 * r / C - dref
    f = 0.0
    for i in range(dpoly.shape[0] - 1, -1, -1):
        f = f * tau + dpoly[i]
    return 0.5 * wavelength * f


GEO2RDR_CHUNK = 256  # points solved in sequence by one thread, each starting from the previous one's time


@numba.njit(parallel=True, cache=True)
def _geo2rdr(xyz, tnodes, coeffs, centres, scales, t0, dpoly, dref, wavelength, t_out, r_out,
             tol_s, max_iter):
    n_chunks = (xyz.shape[0] + GEO2RDR_CHUNK - 1) // GEO2RDR_CHUNK
    for c in numba.prange(n_chunks):
        p = np.empty(3)
        v = np.empty(3)
        a = np.empty(3)
        start = t0
        for i in range(c * GEO2RDR_CHUNK, min(xyz.shape[0], (c + 1) * GEO2RDR_CHUNK)):
            ok = _geo2rdr_point(xyz, i, tnodes, coeffs, centres, scales, start, dpoly, dref, wavelength, t_out,
                                r_out, tol_s, max_iter, p, v, a)
            if ok:  # neighbouring points (image order) are seen at nearly the same time
                start = t_out[i]


ONE_STEP_S = 1e-6  # a Newton step this small is the last one needed (see _geo2rdr_point)


@numba.njit(cache=True)
def _geo2rdr_point(xyz, i, tnodes, coeffs, centres, scales, t0, dpoly, dref, wavelength, t_out, r_out,
                   tol_s, max_iter, p, v, a):
    """One point's zero-Doppler time and range by Newton from t0 (NaN out of the orbit span).

    Started from a neighbour's time, the first step is usually tiny. Newton's error after a step s
    is ~(f''/2f')·s², |f''/2f'| ~ 2e-3 /s for an orbit: below 1e-14 s once |s| < ONE_STEP_S, so the
    orbit is not evaluated again; the range at t + s comes from the second-order expansion
    |d - V s - A s²/2|² = R² - 2s d·V + s²(|V|² - d·A) (the next term is ~1e-18 m²).
    """
    t = t0
    ok = False
    r = 0.0
    for _ in range(max_iter):
        evaluate(tnodes, coeffs, centres, scales, t, p, v, a)
        dx, dy, dz = xyz[i, 0] - p[0], xyz[i, 1] - p[1], xyz[i, 2] - p[2]
        r = math.sqrt(dx * dx + dy * dy + dz * dz)
        k = _doppler_factor(dpoly, dref, wavelength, r)
        dv = dx * v[0] + dy * v[1] + dz * v[2]
        vv = v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
        da = dx * a[0] + dy * a[1] + dz * a[2]
        f = dv - k * r
        dfdt = -vv + da + k * dv / r
        step = -f / dfdt
        if abs(step) < max(ONE_STEP_S, tol_s):
            t += step
            r = math.sqrt(r * r - 2.0 * step * dv + step * step * (vv - da))
            ok = tnodes[0] <= t <= tnodes[-1]
            break
        t += step
        if t < tnodes[0] or t > tnodes[-1]:
            break
    if ok:
        t_out[i] = t
        r_out[i] = r
    else:
        t_out[i] = np.nan
        r_out[i] = np.nan
    return ok


def geo2rdr(orbit: Orbit, grid: RadarGrid, xyz: np.ndarray, tol_s: float = 1e-10, max_iter: int = 50):
    """Azimuth time (s since orbit epoch) and slant range (m) of ECEF points; NaN where not seen
    within the orbit span."""
    xyz = np.ascontiguousarray(np.atleast_2d(xyz), dtype=np.float64)
    t = np.empty(len(xyz))
    r = np.empty(len(xyz))
    t0 = float(np.clip(grid.first_line_s, *orbit.span))
    _geo2rdr(xyz, orbit.t, orbit.coeffs, orbit.centres, orbit.scales, t0,
             np.asarray(grid.doppler_poly, dtype=np.float64), grid.doppler_ref_s, grid.wavelength_m,
             t, r, tol_s, max_iter)
    return t, r


@numba.njit(cache=True)
def zero_doppler_frame(p, v, side):
    """|v|, the unit velocity, |up| and "up" (the position orthogonal to the velocity, unit), and
    the unit cross-track direction on the looking side (side +1 right, -1 left)."""
    vn = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    vh0, vh1, vh2 = v[0] / vn, v[1] / vn, v[2] / vn
    pv = p[0] * vh0 + p[1] * vh1 + p[2] * vh2
    ux, uy, uz = p[0] - pv * vh0, p[1] - pv * vh1, p[2] - pv * vh2
    un = math.sqrt(ux * ux + uy * uy + uz * uz)
    ux, uy, uz = ux / un, uy / un, uz / un
    cx = side * (vh1 * uz - vh2 * uy)
    cy = side * (vh2 * ux - vh0 * uz)
    cz = side * (vh0 * uy - vh1 * ux)
    return vn, vh0, vh1, vh2, un, ux, uy, uz, cx, cy, cz


@numba.njit(cache=True)
def rdr2geo_point(t, r, target_h, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, side, p, v, a):
    """ECEF (x, y, z) seen at time t, range r, geodetic height target_h (p, v, a: 3-element scratch)."""
    evaluate(tnodes, coeffs, centres, scales, t, p, v, a)
    vn, vh0, vh1, vh2, un, ux, uy, uz, cx, cy, cz = zero_doppler_frame(p, v, side)
    # look vector on the Doppler cone: along-track cosine alpha
    alpha = _doppler_factor(dpoly, dref, wavelength, r) / vn
    beta = math.sqrt(max(0.0, 1.0 - alpha * alpha))
    h_shift = target_h
    x = y = z = 0.0
    theta = math.acos(min(1.0, max(-1.0, (un * un + r * r - (ellipsoid.A + target_h) ** 2) / (2.0 * un * r))))
    for _ in range(6):  # outer: the ellipsoid inflated by h_shift has geodetic height target_h
        aa = ellipsoid.A + h_shift
        bb = ellipsoid.B + h_shift
        for _ in range(30):  # Newton on the off-nadir angle theta
            ct, st = math.cos(theta), math.sin(theta)
            x = p[0] + r * (alpha * vh0 + beta * (-ct * ux + st * cx))
            y = p[1] + r * (alpha * vh1 + beta * (-ct * uy + st * cy))
            z = p[2] + r * (alpha * vh2 + beta * (-ct * uz + st * cz))
            g = (x * x + y * y) / (aa * aa) + z * z / (bb * bb) - 1.0
            dx = r * beta * (st * ux + ct * cx)
            dy = r * beta * (st * uy + ct * cy)
            dz = r * beta * (st * uz + ct * cz)
            dg = 2.0 * (x * dx + y * dy) / (aa * aa) + 2.0 * z * dz / (bb * bb)
            step = -g / dg
            theta += step
            if abs(step) < 1e-13:
                break
        _, _, h_now = ellipsoid.xyz_to_llh(x, y, z)
        if abs(h_now - target_h) < 1e-5:
            break
        h_shift += target_h - h_now
    return x, y, z


@numba.njit(parallel=True, cache=True)
def _rdr2geo(t_arr, r_arr, h_arr, tnodes, coeffs, centres, scales, dpoly, dref, wavelength, side, out):
    for i in numba.prange(t_arr.shape[0]):
        p = np.empty(3)
        v = np.empty(3)
        a = np.empty(3)
        out[i, 0], out[i, 1], out[i, 2] = rdr2geo_point(t_arr[i], r_arr[i], h_arr[i], tnodes, coeffs, centres,
                                                        scales, dpoly, dref, wavelength, side, p, v, a)


def rdr2geo(orbit: Orbit, grid: RadarGrid, t: np.ndarray, r: np.ndarray, h: np.ndarray,
            right_looking: bool = True) -> np.ndarray:
    """ECEF points seen at azimuth time t (s since epoch) and slant range r (m), at ellipsoidal height h."""
    t, r, h = (np.ascontiguousarray(x, dtype=np.float64).ravel() for x in np.broadcast_arrays(t, r, h))
    orbit.check(t, "azimuth time")
    out = np.empty((t.size, 3))
    _rdr2geo(t, r, h, orbit.t, orbit.coeffs, orbit.centres, orbit.scales,
             np.asarray(grid.doppler_poly, dtype=np.float64), grid.doppler_ref_s, grid.wavelength_m,
             1.0 if right_looking else -1.0, out)
    return out
