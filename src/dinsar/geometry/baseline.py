"""Interferometric baselines: where the slave's orbit is, seen from the master's, at ground points."""

from __future__ import annotations

import numpy as np

from dinsar.geometry.ellipsoid import geodetic_to_ecef


def temporal_baseline_days(master, slave) -> float:
    """Days from the master's acquisition to the slave's (negative for an earlier slave)."""
    return float((slave.start_time - master.start_time) / np.timedelta64(1, "s") / 86400.0)


def perpendicular_baseline(master, slave, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
    """(B⊥, B∥) in metres of `slave` against `master` at ground points lon/lat/h.

    Both satellites at their zero-Doppler time of the point; B∥ along the master's line of
    sight (positive: the slave is farther from the point), B⊥ across it in the zero-Doppler
    plane, positive when the slave is above the master's line of sight (larger look angle
    seen from the point; the sign of ISCE and GMTSAR's Bperp for a right-looking sensor).
    """
    point = geodetic_to_ecef(lon, lat, h).reshape(-1, 3)
    positions = []
    for product in (master, slave):
        line, _ = product.geo2rdr(lon, lat, h)
        g = product.radar_grid
        t = g.azimuth_time(np.ravel(line))
        pos, vel, _ = product.orbit.interpolate(t)
        positions.append((pos, vel))
    (pm, vm), (ps, _) = positions
    los = point - pm
    rng = np.linalg.norm(los, axis=-1, keepdims=True)
    los /= rng
    b = ps - pm
    b_par = -np.sum(b * los, -1)
    across = np.cross(los, vm)
    across /= np.linalg.norm(across, axis=-1, keepdims=True)
    up = pm / np.linalg.norm(pm, axis=-1, keepdims=True)
    across *= np.sign(np.sum(across * up, -1))[:, None]  # the one pointing away from the Earth
    b_perp = np.sum(b * across, -1)
    return b_perp, b_par
