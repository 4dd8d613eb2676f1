"""An analytic circular Sentinel-1-like orbit and ellipsoid geolocation for synthetic products.

Not a replacement for the geometry core: it gives a self-consistent set of
state vectors and geolocation-grid points (zero Doppler, right looking, WGS84
ellipsoid) so that a synthetic annotation describes a place on Earth.
"""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

GM = 3.986004418e14  # m³/s², WGS84
OMEGA_EARTH = 7.292115e-5  # rad/s
A_WGS84 = 6378137.0
B_WGS84 = 6356752.314245

_ECEF_TO_GEO = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


class CircularOrbit:
    """Circular orbit of radius `radius_m` and inclination `inclination_deg`, Earth-fixed output."""

    def __init__(self, raan_rad: float, u0_rad: float, radius_m: float = 7_071_000.0,
                 inclination_deg: float = 98.18):
        self.raan, self.u0, self.radius = raan_rad, u0_rad, radius_m
        self.inc = np.radians(inclination_deg)
        self.n = np.sqrt(GM / radius_m**3)  # mean motion, rad/s

    def state(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ECEF position and velocity at t seconds after the reference epoch (t=0: Earth angle 0)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        u = self.u0 + self.n * t
        cu, su = np.cos(u), np.sin(u)
        co, so = np.cos(self.raan), np.sin(self.raan)
        ci, si = np.cos(self.inc), np.sin(self.inc)
        r_eci = self.radius * np.stack([co * cu - so * su * ci, so * cu + co * su * ci, su * si], -1)
        v_eci = self.radius * self.n * np.stack(
            [-co * su - so * cu * ci, -so * su + co * cu * ci, cu * si], -1
        )
        theta = OMEGA_EARTH * t
        pos, vel = _to_earth_fixed(r_eci, theta), _to_earth_fixed(v_eci, theta)
        vel += OMEGA_EARTH * np.stack([pos[:, 1], -pos[:, 0], np.zeros(len(t))], -1)
        return pos, vel


def _to_earth_fixed(v: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Rotate inertial vectors by -theta about z (Earth rotation angle theta)."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1], v[:, 2]], -1)


def ground_point(pos: np.ndarray, vel: np.ndarray, slant_range_m: np.ndarray, height_m: float = 0.0,
                 right_looking: bool = True) -> np.ndarray:
    """ECEF point at `slant_range_m` in the zero-Doppler plane, on the ellipsoid raised by height_m.

    The look vector is parametrised by its off-nadir angle θ inside the plane
    normal to the velocity; θ is found by bisection on the ellipsoid equation.
    """
    pos, vel = np.atleast_2d(pos), np.atleast_2d(vel)
    r = np.broadcast_to(np.asarray(slant_range_m, dtype=np.float64), pos.shape[:1])
    vhat = vel / np.linalg.norm(vel, axis=1, keepdims=True)
    up = pos - np.sum(pos * vhat, axis=1, keepdims=True) * vhat
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    side = np.cross(vhat, up) * (1.0 if right_looking else -1.0)
    a, b = A_WGS84 + height_m, B_WGS84 + height_m

    def excess(theta):
        x = pos + r[:, None] * (-np.cos(theta)[:, None] * up + np.sin(theta)[:, None] * side)
        return (x[:, 0] ** 2 + x[:, 1] ** 2) / a**2 + x[:, 2] ** 2 / b**2 - 1.0, x

    lo, hi = np.zeros(len(r)), np.full(len(r), np.pi / 2)
    for _ in range(60):  # 60 halvings of π/2: far below a millimetre at 1000 km
        mid = 0.5 * (lo + hi)
        f, _ = excess(mid)
        inside = f < 0  # looking from nadir outwards, the look vector leaves the ellipsoid once
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return excess(0.5 * (lo + hi))[1]


def to_geodetic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon, lat, h = _ECEF_TO_GEO.transform(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    return np.asarray(lon), np.asarray(lat), np.asarray(h)
