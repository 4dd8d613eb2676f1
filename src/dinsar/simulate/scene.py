"""The simulated scene: each pass's orbit and timing over the DEM, and the scatterers' geometry.

Geometry: a real Sentinel-1 orbit (EOF) rotated about the Earth's axis and shifted in time so
that the scene falls on the DEM; without one, an analytic circular orbit. The slave pass is the
master trajectory offset by a perpendicular baseline, `days` later. All geometry here is the
simulator's own (dinsar.simulate.geometry, numpy).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.config import RADAR_FREQUENCY_HZ, S4_TIMING, PairConfig
from dinsar.simulate.mogi import Mogi, enu_to_ecef
from dinsar.simulate.orbit import CircularOrbit

log = logging.getLogger(__name__)

C = sg.C
WAVELENGTH_M = C / RADAR_FREQUENCY_HZ

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


def baseline_offset(pos: np.ndarray, vel: np.ndarray, look_angle: float, b_perp: float) -> np.ndarray:
    """Offset vectors of b_perp metres perpendicular to the line of sight, in each zero-Doppler plane."""
    vh = vel / np.linalg.norm(vel, axis=-1, keepdims=True)
    up = pos - np.sum(pos * vh, -1, keepdims=True) * vh
    up /= np.linalg.norm(up, axis=-1, keepdims=True)
    side = np.cross(vh, up)
    return b_perp * (np.sin(look_angle) * up + np.cos(look_angle) * side)


# ---------------------------------------------------------------------------------------------- passes


@dataclass
class Pass:
    mission: str
    epoch: np.datetime64  # t = 0 of the orbit polynomial
    orbit: sg.PolyOrbit
    sv_t: np.ndarray
    sv_pos: np.ndarray
    sv_vel: np.ndarray
    first_line_s: float
    near_range_time_s: float
    ati: float = S4_TIMING["azimuth_time_interval_s"]
    fs: float = S4_TIMING["range_sampling_rate_hz"]

    def time(self, t_s: float | np.ndarray) -> np.datetime64:
        return self.epoch + (np.asarray(t_s) * 1e9).round().astype("m8[ns]")


class DemSampler:
    """Bilinear heights of a Dem (ellipsoidal) at lon/lat, numpy only (NaN outside)."""

    def __init__(self, dem):
        if not dem.crs.is_geographic:
            raise ValueError("the simulator needs a DEM in geographic coordinates")
        t = dem.transform
        self.grid, self.x0, self.y0, self.dx, self.dy = dem.height, t.c + t.a / 2, t.f + t.e / 2, t.a, t.e

    def __call__(self, lon, lat):
        return sg.bilinear(self.grid, self.x0, self.y0, self.dx, self.dy, lon, lat)


@dataclass
class Scene:
    cfg: PairConfig
    master: Pass
    slaves: list[Pass]
    dem: DemSampler
    mogis: list[Mogi]  # the ground's displacement at each slave's date
    look_angle: float
    margin: int
    flat_cot: float  # cot(incidence) at mid range on flat ground: intensity normalisation
    aps: list[np.ndarray] | None = None  # coarse atmospheric phase grids (rad), one per slave, over master lines/cols

    def misregistration(self, ll, cc):
        a, b = self.cfg.misregistration["line"], self.cfg.misregistration["col"]
        return a[0] + a[1] * ll + a[2] * cc, b[0] + b[1] * ll + b[2] * cc

    def block(self, lines: np.ndarray, cols: np.ndarray, lon0, lat0) -> dict:
        """Everything about the scatterers at master pixels lines × cols (2-D arrays out; the slaves'
        quantities as lists, one per slave)."""
        m = self.master
        ll, cc = np.meshgrid(lines.astype(np.float64), cols.astype(np.float64), indexing="ij")
        t_m = m.first_line_s + lines.astype(np.float64)[:, None] * m.ati  # one time per line
        r_m = (m.near_range_time_s + cc / m.fs) * C / 2
        lon, lat, h, x, ok = sg.ground_on_surface(m.orbit, t_m, r_m, self.dem, lon0, lat0)
        # local incidence: surface normal from the DEM's gradient, against the direction to the sensor
        e = 1e-4
        metres_per_deg_lon = 111_320.0 * np.cos(np.radians(lat))
        dzdx = (self.dem(lon + e, lat) - self.dem(lon - e, lat)) / (2 * e * metres_per_deg_lon)
        dzdy = (self.dem(lon, lat + e) - self.dem(lon, lat - e)) / (2 * e * 110_574.0)
        normal = enu_to_ecef(lon, lat, np.stack([-dzdx, -dzdy, np.ones_like(dzdx)], -1))
        normal /= sg.norm3(normal)[..., None]
        to_sat = m.orbit.position(t_m) - x
        r_check = sg.norm3(to_sat)
        cos_loc = sg.dot3(to_sat, normal) / r_check
        theta_loc = np.arccos(np.clip(cos_loc, -1, 1))
        intensity = np.cos(theta_loc) / np.sin(np.clip(theta_loc, np.radians(5), None)) / self.flat_cot
        # a pixel-based scene cannot hold layover: unresolved scatterers return nothing
        intensity = np.where((cos_loc > 0) & ok, intensity, 0.0)
        phase_m = np.mod(-4 * np.pi * r_m / WAVELENGTH_M, 2 * np.pi)
        dl, dc = self.misregistration(ll, cc)
        out = dict(lon=lon, lat=lat, h=h, ok=ok, r_m=r_m, r_check=r_check, intensity=intensity,
                   phase_m=phase_m, line_s=[], col_s=[], d_los=[], phase_s=[], aps=[])
        for k, (s, mogi) in enumerate(zip(self.slaves, self.mogis, strict=True)):
            # deformation since the master's date, and the slave's view of the moved ground
            u = enu_to_ecef(lon, lat, mogi.enu(lon, lat))
            xs = x + u
            t_s, r_s, sat_s = sg.zero_doppler(s.orbit, xs, t_m + (s.first_line_s - m.first_line_s))
            los_s = (sat_s - xs) / r_s[..., None]
            phase_s = np.mod(-4 * np.pi * r_s / WAVELENGTH_M, 2 * np.pi)
            if self.aps is not None:  # one screen per date; the master's is the reference (zero)
                aps = _bilinear_grid(self.aps[k], ll, cc, self.cfg.size, self.margin)
                phase_s = phase_s + aps
                out["aps"].append(aps)
            out["line_s"].append((t_s - s.first_line_s) / s.ati + dl)
            out["col_s"].append((2 * r_s / C - s.near_range_time_s) * s.fs + dc)
            out["d_los"].append(sg.dot3(u, los_s))  # toward the slave satellite, metres
            out["phase_s"].append(phase_s)
        return out


def _bilinear_grid(grid, ll, cc, size, margin):
    """Bilinear interpolation of a coarse grid spanning lines/cols -margin..size+margin."""
    gy = (ll + margin) / (size[0] + 2 * margin) * (grid.shape[0] - 1)
    gx = (cc + margin) / (size[1] + 2 * margin) * (grid.shape[1] - 1)
    return sg.bilinear(grid, 0.0, 0.0, 1.0, 1.0, np.clip(gx, 0, grid.shape[1] - 1.001),
                       np.clip(gy, 0, grid.shape[0] - 1.001))


def _turbulence(shape, rms, seed) -> np.ndarray:
    """A power-law (Kolmogorov-like, -8/3) random screen on a coarse grid, scaled to `rms` radians."""
    rng = np.random.default_rng([seed, 99])
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = np.inf
    spectrum = k ** (-8 / 6) * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    screen = np.fft.ifft2(spectrum).real
    screen -= screen.mean()
    return screen * rms / screen.std()


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
    near = np.abs(t) <= 100
    epoch = _master_epoch(cfg)
    m_orbit = sg.PolyOrbit(t[near], pos[near], epoch)
    first = -(lines - 1) / 2 * ati
    master = Pass("S1A", epoch, m_orbit, t, pos, vel, first, tau0)
    # look angle at the scene centre, for the baseline direction
    lon0 = np.array([target[0]])
    lat0 = np.array([target[1]])
    _, _, _, x0, _ = sg.ground_on_surface(m_orbit, np.array([0.0]), np.array([mid_range]), sampler, lon0,
                                          lat0, iterations=30)
    p0, v0 = m_orbit.position(0.0), m_orbit.velocity(0.0)
    vh = v0 / np.linalg.norm(v0)
    up = p0 - (p0 @ vh) * vh
    up /= np.linalg.norm(up)
    los = (x0[0] - p0) / np.linalg.norm(x0[0] - p0)
    look = float(np.arccos(-los @ up))
    slaves, mogis = [], []
    for days, baseline, dvolume in cfg.slaves():
        offset = baseline_offset(pos, vel, look, baseline)
        pos_s = pos + offset
        vel_s = vel + np.gradient(offset, t, axis=0)
        s_orbit = sg.PolyOrbit(t[near], pos_s[near], epoch + np.timedelta64(days, "D"))
        slaves.append(Pass("S1A", epoch + np.timedelta64(days, "D"), s_orbit, t, pos_s, vel_s,
                           first + cfg.slave_shift[0] * ati, tau0 + cfg.slave_shift[1] / fs))
        mogis.append(Mogi(**{**cfg.mogi, "dvolume_m3": dvolume}))
    margin = 8 + 2 + int(np.ceil(max(np.abs(cfg.slave_shift)) + 2))
    aps = None
    if cfg.atmosphere_rms_rad > 0:
        aps = [_turbulence((max(8, (lines + 2 * margin) // 16), max(8, (cols + 2 * margin) // 16)),
                           cfg.atmosphere_rms_rad, cfg.seed + 1000 * k) for k in range(len(slaves))]
    # incidence on flat ground at the centre (ellipsoid normal): the intensity law's unit
    lon_c, lat_c, h_c = sg.to_geodetic(x0)
    normal = sg.llh_to_xyz(lon_c, lat_c, h_c + 1.0)[0] - x0[0]
    flat_theta = float(np.arccos(-los @ normal))
    flat_cot = float(np.cos(flat_theta) / np.sin(flat_theta))
    scene = Scene(cfg, master, slaves, sampler, mogis, look, margin, flat_cot, aps)
    scene.orbit_source = source
    return scene

