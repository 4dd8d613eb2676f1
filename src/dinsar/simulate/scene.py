"""The simulated Sentinel-1 scene: each pass's orbit and timing over the DEM (the scatterers'
geometry is dinsar.simulate.passes').

Geometry: a real Sentinel-1 orbit (EOF) rotated about the Earth's axis and shifted in time so
that the scene falls on the DEM; without one, an analytic circular orbit. The slave pass is the
master trajectory offset by a perpendicular baseline, `days` later. All geometry here is the
simulator's own (dinsar.simulate.geometry, numpy).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.config import S4_TIMING, PairConfig
from dinsar.simulate.orbit import CircularOrbit

# the passes and the scatterers' geometry (sensor-neutral) live in dinsar.simulate.passes; the names
# callers have always imported from here
from dinsar.simulate.passes import (  # noqa: F401
    WAVELENGTH_M,
    C,
    DemSampler,
    Pass,
    Scene,
    baseline_offset,
    scene_from_orbit,
)
from dinsar.simulate.passes import turbulence as _turbulence  # noqa: F401

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------- orbit


def real_orbit_file(cfg: PairConfig) -> str | None:
    """The real orbit to place: `simulate.orbit_file`, else $DINSAR_ORBIT_FILE, else None (analytic)."""
    return cfg.orbit_file or os.environ.get("DINSAR_ORBIT_FILE") or None


def _real_orbit_segment(path: Path):
    from dinsar.io.eof import read_eof  # reading a file format is not geometry

    sv = read_eof(path)
    t = (sv.time - sv.time[0]) / np.timedelta64(1, "ns") * 1e-9
    return t, sv.position, sv.velocity


def _rotate_z(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1], v[..., 2]], -1)


def _mid_ground(orbit: sg.PolyOrbit, t: float, mid_range: float, height: float):
    x = sg.ground_point(orbit, np.array([t]), np.array([mid_range]), np.array([height]))
    lon, lat, _ = sg.to_geodetic(x)
    return float(lon[0]), float(lat[0])


def place_orbit(cfg: PairConfig, target: tuple[float, float], height: float, mid_range: float):
    """State vectors (t since epoch, ECEF position, velocity) every 10 s, ±8 min around the scene
    centre, which is seen at mid range at t = 0. Returns (t, pos, vel, source)."""
    orbit_file = real_orbit_file(cfg)
    path = Path(orbit_file) if orbit_file else None
    if path is not None and path.is_file():
        t_all, pos_all, _ = _real_orbit_segment(path)
        lat_sat = sg.to_geodetic(pos_all)[1]
        ascending = np.gradient(lat_sat) > 0
        # start where the ascending sub-satellite track passes ~1° south of the target
        cand = np.flatnonzero(ascending & (np.abs(lat_sat - (target[1] - 1.0)) < 1.5))
        if cand.size == 0:
            raise ValueError(f"{path}: no ascending pass near latitude {target[1]}")
        t_star = float(t_all[cand[len(cand) // 2]])
        for _ in range(8):  # secant on time: mid-range ground latitude = target latitude
            near = np.abs(t_all - t_star) <= 90
            local = sg.PolyOrbit(t_all[near], pos_all[near], np.datetime64("2000-01-01"))
            lon0, lat0 = _mid_ground(local, t_star, mid_range, height)
            lon1, lat1 = _mid_ground(local, t_star + 1.0, mid_range, height)
            t_star += (target[1] - lat0) / (lat1 - lat0)
        near = np.abs(t_all - t_star) <= 90
        local = sg.PolyOrbit(t_all[near], pos_all[near], np.datetime64("2000-01-01"))
        lon0, _ = _mid_ground(local, t_star, mid_range, height)
        angle = np.radians(target[0] - lon0)
        keep = np.abs(t_all - t_star) <= 480
        t = t_all[keep] - t_star
        pos = _rotate_z(pos_all[keep], angle)
        # velocities consistent with the positions (derivative of local fits every 10 s)
        vel = np.array([sg.PolyOrbit(t[max(0, k - 8):k + 9], pos[max(0, k - 8):k + 9],
                                     np.datetime64("2000-01-01")).velocity(t[k]) for k in range(len(t))])
        return t, pos, vel, f"{path.name} rotated by {np.degrees(angle):.4f}° about the Earth's axis"
    log.warning("no real orbit file (%s): analytic circular orbit", orbit_file)
    raan = np.radians(target[0] - 6.0)
    u0 = np.arcsin(np.sin(np.radians(target[1])) / np.sin(np.radians(98.18)))
    for _ in range(6):
        orbit = CircularOrbit(raan, u0)
        tt = np.arange(-90.0, 91.0, 10.0)
        p, _ = orbit.state(tt)
        lon, lat = _mid_ground(sg.PolyOrbit(tt, p, np.datetime64("2000-01-01")), 0.0, mid_range, height)
        raan += np.radians(target[0] - lon)
        u0 += np.radians(target[1] - lat) / np.sin(np.radians(98.18))
    t = np.arange(-480.0, 481.0, 10.0)
    pos, vel = CircularOrbit(raan, u0).state(t)
    return t, pos, vel, "analytic circular orbit (no real orbit file found)"


def _master_epoch(cfg: PairConfig) -> np.datetime64:
    return np.datetime64(cfg.start_time, "ns") + np.timedelta64(
        int(round((cfg.size[0] - 1) / 2 * S4_TIMING["azimuth_time_interval_s"] * 1e9)), "ns")


def build_scene(cfg: PairConfig, dem_path: Path) -> Scene:
    """The passes (orbits, timing), the DEM sampler and the ground's motion of `cfg` over `dem_path`."""
    from dinsar.geometry.dem import load_for_scene  # datum handling only

    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    half_m = max(lines * 4.5, cols * 4.5) / 2 + 5000.0
    half_deg = half_m / 110_000.0
    dem = load_for_scene(dem_path, (target[0] - half_deg, target[1] - half_deg, target[0] + half_deg,
                                    target[1] + half_deg), margin_deg=0.0)
    sampler = DemSampler(dem)
    height = float(sampler(np.array([target[0]]), np.array([target[1]]))[0])
    tau0 = S4_TIMING["slant_range_time_s"]
    fs = S4_TIMING["range_sampling_rate_hz"]
    ati = S4_TIMING["azimuth_time_interval_s"]
    mid_range = (tau0 + cols / 2 / fs) * C / 2
    t, pos, vel, source = place_orbit(cfg, target, height, mid_range)
    scene = scene_from_orbit(cfg, sampler, target, t, pos, vel, _master_epoch(cfg), 0.0, -(lines - 1) / 2 * ati,
                             tau0, ati, fs)
    scene.orbit_source = source
    return scene
