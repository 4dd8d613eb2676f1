"""An analytic circular Sentinel-1-like orbit for synthetic products (when no real orbit is at hand)."""

from __future__ import annotations

import numpy as np

from dinsar.simulate import geometry as sg

GM = 3.986004418e14  # m³/s², WGS84
OMEGA_EARTH = 7.292115e-5  # rad/s


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

    # the interface of dinsar.simulate.geometry's orbits, so that its solvers serve this one too
    def position(self, t_s) -> np.ndarray:
        return self.state(t_s)[0].reshape(np.shape(t_s) + (3,))

    def velocity(self, t_s) -> np.ndarray:
        return self.state(t_s)[1].reshape(np.shape(t_s) + (3,))


def _to_earth_fixed(v: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Rotate inertial vectors by -theta about z (Earth rotation angle theta)."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1], v[:, 2]], -1)


def place_circular_orbit(lon: float, lat: float, h: float, radius_m: float, inclination_deg: float,
                         mid_range_m: float) -> CircularOrbit:
    """The circular orbit (radius, inclination; t = 0 at the scene centre) whose zero-Doppler ground point
    at slant range mid_range_m and height h is (lon, lat) at t = 0, right looking, ascending."""
    inc = np.radians(inclination_deg)
    raan = np.radians(lon - 6.0)
    u0 = np.arcsin(np.sin(np.radians(lat)) / np.sin(inc))
    tt = np.arange(-30.0, 31.0, 5.0)
    for _ in range(8):
        orbit = CircularOrbit(raan, u0, radius_m, inclination_deg)
        poly = sg.PolyOrbit(tt, orbit.state(tt)[0], np.datetime64("2000-01-01"))
        x = sg.ground_point(poly, np.array([0.0]), np.array([mid_range_m]), np.array([h]))
        glon, glat, _ = sg.to_geodetic(x)
        raan += np.radians(lon - float(glon[0]))
        u0 += np.radians(lat - float(glat[0])) / np.sin(inc)
    return CircularOrbit(raan, u0, radius_m, inclination_deg)
