"""The simulator's own geometry: plain numpy float64, sharing no code with dinsar.geometry.

The processing chain is checked against products made with this module, so it
must not reuse the chain's orbit interpolation, solvers or ellipsoid code:
orbits here are least-squares polynomials (numpy.polynomial) through the
positions, zero-Doppler times come from Newton steps on (X - P)·V, ground
points from Newton steps on the look angle, and geodetic conversions from PROJ.
"""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

C = 299_792_458.0
_TO_GEO = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
_TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def dot3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product over the last axis (length 3), as three products: numpy's reduction over a
    length-3 axis is several times slower on large arrays."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def norm3(a: np.ndarray) -> np.ndarray:
    return np.sqrt(dot3(a, a))


def to_geodetic(xyz: np.ndarray):
    lon, lat, h = _TO_GEO.transform(xyz[..., 0], xyz[..., 1], xyz[..., 2])
    return np.asarray(lon), np.asarray(lat), np.asarray(h)


def to_ecef(lon, lat, h) -> np.ndarray:
    x, y, z = _TO_ECEF.transform(lon, lat, h)
    return np.stack([np.asarray(x), np.asarray(y), np.asarray(z)], -1)


class PolyOrbit:
    """Positions as one polynomial per axis in seconds since `epoch` (a least-squares fit)."""

    def __init__(self, t_s: np.ndarray, position: np.ndarray, epoch: np.datetime64, degree: int = 9):
        self.epoch = epoch
        self.t0 = float(np.mean(t_s))
        self.span = (float(t_s[0]), float(t_s[-1]))
        self.scale = 0.5 * (t_s[-1] - t_s[0])
        u = (t_s - self.t0) / self.scale
        deg = min(degree, len(t_s) - 1)
        pos = [np.polynomial.Polynomial.fit(u, position[:, k], deg, domain=[-1, 1]) for k in range(3)]
        # power-series coefficients in u (domain = window: no mapping), one column per axis
        self._coef = [np.stack([q.deriv(n).coef if n else q.coef for q in pos], -1) for n in range(4)]

    def _eval(self, t, derivative):
        u = ((np.asarray(t, dtype=np.float64) - self.t0) / self.scale)[..., None]
        coef = self._coef[derivative]
        out = np.broadcast_to(coef[-1], u.shape[:-1] + (3,)).copy()
        for c in coef[-2::-1]:  # Horner, the three axes at once
            out *= u
            out += c
        return out / self.scale**derivative

    def position(self, t):
        return self._eval(t, 0)

    def velocity(self, t):
        return self._eval(t, 1)

    def acceleration(self, t):
        return self._eval(t, 2)

    def jerk(self, t):
        return self._eval(t, 3)


def zero_doppler(orbit: PolyOrbit, xyz: np.ndarray, t_guess: np.ndarray | float, iterations: int = 8):
    """Time (s since epoch) at which (X - P(t))·V(t) = 0, the range and the satellite's position then.

    t_guess broadcasts against xyz's points (one time per line is typical). Newton steps run on
    the orbit's cubic Taylor expansion about t_guess (the next term, |P''''| dt⁴/24, is < 1e-6 m
    for |dt| < 1 s: ~1e-5 m/s⁴ in orbit) until every step is < 1e-11 s (~0.1 µm along track); the
    range is then taken from the full polynomial.
    """
    t_ref = np.asarray(t_guess, dtype=np.float64)
    # the expansion once per distinct guess, broadcast against the points
    p0, v0, a0, j0 = (f(t_ref) for f in (orbit.position, orbit.velocity, orbit.acceleration, orbit.jerk))
    dt = np.zeros(xyz.shape[:-1])
    for _ in range(iterations):
        h = dt[..., None]
        d = xyz - (p0 + h * (v0 + h * (a0 / 2 + h * j0 / 6)))
        vel = v0 + h * (a0 + h * j0 / 2)
        step = dot3(d, vel) / (dot3(d, a0 + h * j0) - dot3(vel, vel))
        dt -= step
        if np.abs(step).max(initial=0.0) < 1e-11:
            break
    t = t_ref + dt
    sat = orbit.position(t)
    return t, norm3(xyz - sat), sat


def _frame(orbit: PolyOrbit, t):
    """Position, "up" (the position orthogonal to the velocity) and the right-looking cross-track
    direction, unit vectors, at t: the zero-Doppler plane's axes."""
    p, v = orbit.position(t), orbit.velocity(t)
    vh = v / norm3(v)[..., None]
    up = p - dot3(p, vh)[..., None] * vh
    up /= norm3(up)[..., None]
    return p, up, np.cross(vh, up)


def ground_point(orbit: PolyOrbit, t: np.ndarray, slant_range: np.ndarray, height: np.ndarray,
                 iterations: int = 4) -> np.ndarray:
    """ECEF point at zero Doppler, range slant_range, geodetic height `height`, right looking.

    The look vector is -cosθ·up + sinθ·side in the plane normal to the velocity; θ is
    found by Newton steps on the distance to an ellipsoid inflated by a height offset,
    which is then corrected until PROJ's geodetic height of the point is `height`.
    """
    a_wgs, b_wgs = 6378137.0, 6356752.314245179
    p, up, side = _frame(orbit, t)
    r = np.asarray(slant_range, dtype=np.float64)
    h_target = np.broadcast_to(np.asarray(height, dtype=np.float64), r.shape)
    offset = h_target.copy()
    norm_up = np.linalg.norm(p, axis=-1)
    theta = np.arccos(np.clip((norm_up**2 + r**2 - (a_wgs + h_target) ** 2) / (2 * norm_up * r), -1, 1))
    for _ in range(iterations):
        a, b = a_wgs + offset, b_wgs + offset
        for _ in range(8):
            look = -np.cos(theta)[..., None] * up + np.sin(theta)[..., None] * side
            x = p + r[..., None] * look
            g = (x[..., 0] ** 2 + x[..., 1] ** 2) / a**2 + x[..., 2] ** 2 / b**2 - 1
            dx = r[..., None] * (np.sin(theta)[..., None] * up + np.cos(theta)[..., None] * side)
            dg = (2 * (x[..., 0] * dx[..., 0] + x[..., 1] * dx[..., 1]) / a**2
                  + 2 * x[..., 2] * dx[..., 2] / b**2)
            theta = theta - g / dg
        _, _, h_now = to_geodetic(x)
        offset = offset + (h_target - h_now)
    return x


def ground_by_bisection(orbit: PolyOrbit, t: np.ndarray, slant_range: np.ndarray, height_at, h_min: float,
                        h_max: float, iterations: int = 60):
    """Point of the surface h = height_at(lon, lat) at zero Doppler and range slant_range from P(t), by
    bisection on the look angle between the points at heights h_max and h_min (the surface lies
    between them, so f = geodetic height - surface height changes sign): slow, but it cannot
    cycle where Newton does (a range circle grazing a summit). Returns X and a converged flag."""
    t = np.asarray(t, dtype=np.float64)
    r = np.broadcast_to(np.asarray(slant_range, dtype=np.float64), t.shape)
    p, up, side = _frame(orbit, t)

    def point(theta):
        return p + r[..., None] * (-np.cos(theta)[..., None] * up + np.sin(theta)[..., None] * side)

    def misfit(theta):
        lon, lat, h = to_geodetic(point(theta))
        return h - height_at(lon, lat)

    def angle(x):
        d = x - p
        return np.arctan2(dot3(d, side), -dot3(d, up))

    a = angle(ground_point(orbit, t, r, np.full(t.shape, h_max)))
    b = angle(ground_point(orbit, t, r, np.full(t.shape, h_min)))
    fa = misfit(a)
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        fm = misfit(mid)
        same = np.sign(fm) == np.sign(fa)
        a, fa = np.where(same, mid, a), np.where(same, fm, fa)
        b = np.where(same, b, mid)
    theta = 0.5 * (a + b)
    return point(theta), np.abs(misfit(theta)) < 1e-3


def bilinear(grid: np.ndarray, x0: float, y0: float, dx: float, dy: float, x, y) -> np.ndarray:
    """Bilinear interpolation of grid (rows along y) at (x, y); NaN outside."""
    fx, fy = (np.asarray(x) - x0) / dx, (np.asarray(y) - y0) / dy
    fx, fy = np.where(np.isfinite(fx), fx, -1.0), np.where(np.isfinite(fy), fy, -1.0)
    j, i = np.floor(fx).astype(int), np.floor(fy).astype(int)
    inside = (j >= 0) & (i >= 0) & (j < grid.shape[1] - 1) & (i < grid.shape[0] - 1)
    j, i = np.where(inside, j, 0), np.where(inside, i, 0)
    wx, wy = fx - j, fy - i
    out = ((1 - wy) * ((1 - wx) * grid[i, j] + wx * grid[i, j + 1])
           + wy * ((1 - wx) * grid[i + 1, j] + wx * grid[i + 1, j + 1]))
    return np.where(inside, out, np.nan)


A_WGS84, F_WGS84 = 6378137.0, 1 / 298.257223563
E2_WGS84 = F_WGS84 * (2 - F_WGS84)


def llh_to_xyz(lon_deg, lat_deg, h) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    n = A_WGS84 / np.sqrt(1 - E2_WGS84 * np.sin(lat) ** 2)
    return np.stack([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                     (n * (1 - E2_WGS84) + h) * np.sin(lat)], -1)


def ground_on_surface(orbit: PolyOrbit, t: np.ndarray, slant_range: np.ndarray, height_at, lon0, lat0,
                      iterations: int = 12, step_deg: float = 1e-6):
    """Point of the surface h = height_at(lon, lat) at zero Doppler and range slant_range from P(t).

    2-D Newton on (lon, lat) with a finite-difference Jacobian of
    F = (|X - P| - R, (X - P)·V/|V|), X = llh_to_xyz(lon, lat, height_at(lon, lat)).
    Returns lon, lat, h, X and a converged flag (False where the surface folds over in range,
    layover, and Newton settles nowhere).
    """
    shape = np.broadcast(t, slant_range, lon0, lat0).shape
    slant_range = np.broadcast_to(np.asarray(slant_range, float), shape).ravel()
    # the orbit at each distinct time (t is often one per line), then broadcast to the points
    t = np.asarray(t, float)
    p = np.broadcast_to(orbit.position(t), shape + (3,)).reshape(-1, 3)
    v = orbit.velocity(t)
    vh = np.broadcast_to(v / np.linalg.norm(v, axis=-1, keepdims=True), shape + (3,)).reshape(-1, 3)
    lon = np.array(np.broadcast_to(lon0, shape), dtype=np.float64).ravel()
    lat = np.array(np.broadcast_to(lat0, shape), dtype=np.float64).ravel()

    def residual(lo, la, k):
        x = llh_to_xyz(lo, la, height_at(lo, la))
        d = x - p[k]
        return norm3(d) - slant_range[k], dot3(d, vh[k])

    # Newton on the points not yet converged only (NaN, outside the DEM, counts as settled)
    active = np.arange(lon.size)
    for _ in range(iterations):
        f1, f2 = residual(lon[active], lat[active], active)
        moving = (np.abs(f1) >= 1e-5) | (np.abs(f2) >= 1e-5)
        active, f1, f2 = active[moving], f1[moving], f2[moving]
        if active.size == 0:
            break
        lo, la = lon[active], lat[active]
        a1, a2 = residual(lo + step_deg, la, active)
        b1, b2 = residual(lo, la + step_deg, active)
        j11, j21 = (a1 - f1) / step_deg, (a2 - f2) / step_deg
        j12, j22 = (b1 - f1) / step_deg, (b2 - f2) / step_deg
        det = j11 * j22 - j12 * j21
        dlon = (-f1 * j22 + f2 * j12) / det
        dlat = (-j11 * f2 + j21 * f1) / det
        # steps limited to ~1 km: keeps Newton on the local branch of a rough surface
        lon[active], lat[active] = lo + np.clip(dlon, -0.01, 0.01), la + np.clip(dlat, -0.01, 0.01)
    h = height_at(lon, lat)
    x = llh_to_xyz(lon, lat, h)
    f1, f2 = residual(lon, lat, slice(None))
    converged = (np.abs(f1) < 1e-4) & (np.abs(f2) < 1e-4)
    lon, lat, h, converged = (a.reshape(shape) for a in (lon, lat, h, converged))
    x = x.reshape(shape + (3,))
    return lon, lat, h, x, converged
