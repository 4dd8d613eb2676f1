"""Mogi (1958) point source in an elastic half-space: surface displacement (east, north, up)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mogi:
    lon: float
    lat: float
    depth_m: float  # below the surface
    dvolume_m3: float  # volume change of the source (positive: inflation, uplift)
    poisson: float = 0.25

    def enu(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """(..., 3) displacement in metres east, north, up.

        u_r = (1 - ν) ΔV / π · r / R³, u_z = (1 - ν) ΔV / π · d / R³, R² = r² + d².
        Horizontal distances on a local tangent plane (the source's footprint is ~km).
        """
        east = (np.asarray(lon) - self.lon) * 111_320.0 * np.cos(np.radians(self.lat))
        north = (np.asarray(lat) - self.lat) * 110_574.0
        r2 = east**2 + north**2
        k = (1 - self.poisson) * self.dvolume_m3 / np.pi / (r2 + self.depth_m**2) ** 1.5
        return np.stack([k * east, k * north, k * self.depth_m], -1)


def enu_to_ecef(lon: np.ndarray, lat: np.ndarray, enu: np.ndarray) -> np.ndarray:
    """Rotate local east/north/up vectors at lon/lat (degrees) into ECEF components."""
    lo, la = np.radians(lon), np.radians(lat)
    sl, cl, sa, ca = np.sin(lo), np.cos(lo), np.sin(la), np.cos(la)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horizontal = ca * u - sa * n  # the east-west plane's outward part
    return np.stack([horizontal * cl - sl * e, horizontal * sl + cl * e, ca * n + sa * u], -1)
