"""A simulated Sentinel-1 StripMap interferometric pair with known truth (`dinsar simulate`).

Geometry: a real Sentinel-1 orbit (EOF) rotated about the Earth's axis and shifted
in time so that the scene falls on the DEM; without it, an analytic circular orbit.
The slave pass is the master trajectory offset by a perpendicular baseline,
`days` later. Scene: one scatterer per master pixel (and a margin) on the DEM
surface, with circular Gaussian reflectivity correlated between passes at the
configured coherence, intensity ∝ cot(local incidence) (the SAR simulation's
law), the exact two-way range phase of each pass, a Mogi source moving the
ground between passes, an optional turbulent phase screen, thermal noise, and a
known misregistration of the slave on top of the geometric offsets. Both SLCs
are the scatterer field convolved with a band-limited impulse response.

All geometry here is the simulator's own (dinsar.simulate.geometry, numpy).
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio

from dinsar.io import raster
from dinsar.io.annotation import GeolocationGrid
from dinsar.simulate import geometry as sg
from dinsar.simulate.dem import SUMMIT_LON_LAT
from dinsar.simulate.mogi import Mogi, enu_to_ecef
from dinsar.simulate.orbit import CircularOrbit
from dinsar.simulate.safe_writer import SwathImage, absolute_orbit, product_name, relative_orbit
from dinsar.simulate.synthesis import convolve_grid, power_gain, splat

log = logging.getLogger(__name__)

C = sg.C
RADAR_FREQUENCY_HZ = 5.405000454334350e09
WAVELENGTH_M = C / RADAR_FREQUENCY_HZ
# StripMap S4-like timing (approximate: near incidence ~36°, 64.3 MHz sampling, 1.67 kHz PRF)
S4_TIMING = dict(azimuth_time_interval_s=6.0e-4, range_sampling_rate_hz=6.434523812571428e07,
                 slant_range_time_s=5.80e-3)
BANDWIDTH_AZ, BANDWIDTH_RG = 0.8, 0.85  # processed bandwidths / sampling rates
DN_SCALE = 60.0  # CInt16 amplitude of unit reflectivity on flat ground


@dataclass
class PairConfig:
    size: tuple[int, int] = (1024, 1024)
    seed: int = 1
    start_time: str = "2016-08-18T14:22:05"
    days: int = 12
    baseline_m: float = 100.0
    coherence: float = 0.9
    snr_db: float | None = 20.0
    mogi: dict = field(default_factory=lambda: {"lon": SUMMIT_LON_LAT[0] + 0.01, "lat": SUMMIT_LON_LAT[1],
                                               "depth_m": 2500.0, "dvolume_m3": 2.0e6})
    atmosphere_rms_rad: float = 0.0
    # slave misregistration (lines, columns): constant, per master line, per master column
    misregistration: dict = field(default_factory=lambda: {"line": [0.31, 2e-5, -1e-5],
                                                          "col": [-0.22, 1e-5, 3e-5]})
    orbit_file: str | None = None
    # the slave starts later (lines) and its near range is farther (samples): annotated offsets
    slave_shift: tuple[float, float] = (3.4, 5.7)
    target: tuple[float, float] | None = None  # lon/lat of the scene centre (default: near the summit)
    as_zip: bool = False
    # a stack instead of a pair: one slave per entry {days, baseline_m} after the master; the Mogi
    # source then inflates linearly in time, dvolume_m3 every `days`
    stack: list[dict] | None = None
    # spatially varying coherence: a disc {lon, lat, radius_m, coherence} (a fresh lava flow, a
    # forest) where the pair decorrelates to `coherence`, with a smooth 20 % edge
    decorrelation: dict | None = None

    def slaves(self) -> list[tuple[int, float, float]]:
        """(days after the master, perpendicular baseline m, Mogi volume change m³) of each slave."""
        if not self.stack:
            return [(int(self.days), float(self.baseline_m), float(self.mogi["dvolume_m3"]))]
        return [(int(e["days"]), float(e["baseline_m"]), float(self.mogi["dvolume_m3"]) * int(e["days"]) / self.days)
                for e in self.stack]

    @classmethod
    def from_dict(cls, d: dict) -> PairConfig:
        """From a config's `simulate:` section (unknown keys such as the schema's defaults are ignored)."""
        d = dict(d)
        if "zip" in d:
            d["as_zip"] = d.pop("zip")
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and v is not None}
        if "size" in known:
            known["size"] = tuple(int(v) for v in known["size"])
        if "slave_shift" in known:
            known["slave_shift"] = tuple(float(v) for v in known["slave_shift"])
        if "stack" in known:
            known["stack"] = [dict(e) for e in known["stack"]]
        if "target" in known and known["target"] is not None:
            known["target"] = tuple(float(v) for v in known["target"])
        return cls(**known)


# ---------------------------------------------------------------------------------------------- orbit

# A real restituted orbit shipped with the shared test data; used when present.
SHARED_ORBIT = ("s1_iw_slc_azores/"
                "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF")


def default_orbit_file() -> str | None:
    """$DINSAR_ORBIT_FILE, else the shared data's real orbit beside the checkout, else None (analytic)."""
    env = os.environ.get("DINSAR_ORBIT_FILE")
    if env:
        return env
    shared = Path(__file__).resolve().parents[3].parent / "shared" / "data" / SHARED_ORBIT
    return str(shared) if shared.is_file() else None


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
    orbit_file = cfg.orbit_file or default_orbit_file()
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


# ---------------------------------------------------------------------------------------------- names


def _master_epoch(cfg: PairConfig) -> np.datetime64:
    return np.datetime64(cfg.start_time, "ns") + np.timedelta64(
        int(round((cfg.size[0] - 1) / 2 * S4_TIMING["azimuth_time_interval_s"] * 1e9)), "ns")


def _name(first: np.datetime64, lines: int, key: str) -> str:
    last = first + np.timedelta64(int(lines * S4_TIMING["azimuth_time_interval_s"] * 1e9), "ns")
    return product_name("S4", first, last, key)


def product_names(cfg: PairConfig) -> tuple[str, list[str]]:
    """Names of the master and of each slave, known from the config alone (Snakemake needs them up front)."""
    key = f"{cfg.start_time}{tuple(cfg.size)}{cfg.days}"
    first_m = np.datetime64(cfg.start_time, "ns")
    shift = np.timedelta64(int(cfg.slave_shift[0] * S4_TIMING["azimuth_time_interval_s"] * 1e9), "ns")
    slaves = [_name(first_m + np.timedelta64(days, "D") + shift, cfg.size[0],
                    key + ("s" if not cfg.stack else f"s{days}")) for days, _, _ in cfg.slaves()]
    return _name(first_m, cfg.size[0], key + "m"), slaves


def pair_names(cfg: PairConfig) -> tuple[str, str]:
    """Product names of a simulated pair (master, slave)."""
    master, slaves = product_names(cfg)
    if len(slaves) != 1:
        raise ValueError("pair_names: the config simulates a stack")
    return master, slaves[0]


# ---------------------------------------------------------------------------------------------- writing


def _grid_nodes(p: Pass, lines: int, cols: int, dem: DemSampler) -> GeolocationGrid:
    """The annotation's 10 × 10 geolocation grid: each node's ground point on the DEM surface, Newton
    started from the node's point on the ellipsoid raised to the DEM's mean height (a start common
    to all nodes would be out of Newton's reach on a full-size scene, ~1.5° long), bisection where
    Newton cycles."""
    ln = np.unique(np.linspace(0, lines - 1, 10).round().astype(int))
    px = np.unique(np.linspace(0, cols - 1, 10).round().astype(int))
    ll, pp = (a.ravel() for a in np.meshgrid(ln, px, indexing="ij"))
    t = p.first_line_s + ll * p.ati
    tau = p.near_range_time_s + pp / p.fs
    start = sg.ground_point(p.orbit, t, tau * C / 2, np.full(t.shape, float(np.nanmean(dem.grid))))
    lon0, lat0, _ = sg.to_geodetic(start)
    lon, lat, h, x, ok = sg.ground_on_surface(p.orbit, t, tau * C / 2, dem, lon0, lat0, iterations=30)
    if not ok.all():  # Newton cycles where the range circle grazes a summit: bisect on the look angle
        hs = dem.grid[np.isfinite(dem.grid)]
        xb, okb = sg.ground_by_bisection(p.orbit, t[~ok], tau[~ok] * C / 2, dem, float(hs.min()) - 1.0,
                                         float(hs.max()) + 1.0)
        if not okb.all():
            raise ValueError(f"simulator: {int((~okb).sum())} geolocation grid node(s) have no ground point "
                             f"on the DEM (outside it)")
        x[~ok] = xb
        lon[~ok], lat[~ok], _ = sg.to_geodetic(xb)
        h[~ok] = dem(lon[~ok], lat[~ok])
    up = sg.llh_to_xyz(lon, lat, h + 1.0) - x  # the ellipsoid normal
    to_sat = p.orbit.position(t) - x
    inc = np.degrees(np.arccos(sg.dot3(up, to_sat) / sg.norm3(to_sat)))
    return GeolocationGrid(p.time(t).astype("M8[ns]"), tau, ll, pp, lat, lon, h, inc)


def _swath_image(p: Pass, pol: str, cfg: PairConfig, grid: GeolocationGrid, sv_window) -> SwathImage:
    lines, cols = cfg.size
    t_mid = p.first_line_s + lines / 2 * p.ati
    pos, vel = p.orbit.position(t_mid), p.orbit.velocity(t_mid)
    lon, lat, _ = sg.to_geodetic(pos)
    east = np.array([-np.sin(np.radians(lon)), np.cos(np.radians(lon)), 0.0])
    north = np.array([-np.sin(np.radians(lat)) * np.cos(np.radians(lon)),
                      -np.sin(np.radians(lat)) * np.sin(np.radians(lon)), np.cos(np.radians(lat))])
    v = float(np.linalg.norm(vel))
    v_ground = v * 6_371_000.0 / float(np.linalg.norm(pos))
    tau = p.near_range_time_s + np.array([0.0, 0.5, 1.0]) * cols / p.fs
    fm = np.polynomial.polynomial.polyfit(tau - p.near_range_time_s,
                                          -2 * v * v_ground / (WAVELENGTH_M * tau * C / 2), 2)
    keep = sv_window
    return SwathImage(
        mission=p.mission, mode="SM", swath="S4", polarisation=pol, first_line_time=p.time(p.first_line_s),
        azimuth_time_interval_s=p.ati, slant_range_time_s=p.near_range_time_s, range_sampling_rate_hz=p.fs,
        radar_frequency_hz=RADAR_FREQUENCY_HZ, lines=lines, samples=cols,
        absolute_orbit=absolute_orbit(p.time(p.first_line_s)), pass_direction="Ascending",
        heading_deg=float(np.degrees(np.arctan2(vel @ east, vel @ north))),
        incidence_mid_deg=float(np.median(grid.incidence_angle)), range_pixel_spacing_m=C / (2 * p.fs),
        azimuth_pixel_spacing_m=v_ground * p.ati, sv_time=p.time(p.sv_t[keep]).astype("M8[ns]"),
        sv_position=p.sv_pos[keep], sv_velocity=p.sv_vel[keep], grid=grid,
        dc_t0=p.near_range_time_s, fm_poly=tuple(fm),
    )


def _scene(cfg: PairConfig, dem_path: Path) -> Scene:
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


BLOCK_SCATTERERS = 1 << 19  # scatterers computed at once: bounds memory whatever the scene size


TRUTH_FILES = {
    "los_displacement.tif": "LOS displacement toward the slave satellite (m), master grid",
    "offsets.tif": "slave line - master line, slave column - master column (m grid; total, with the "
                   "misregistration)",
    "coherence.tif": "coherence of the pair including thermal noise",
    "deformation_phase.tif": "band 1 unwrapped, band 2 wrapped deformation phase (rad) = -4 pi d / lambda",
    "height.tif": "ellipsoidal height of each master pixel's ground point (m)",
    "atmosphere_phase.tif": "with atmosphere_rms_rad > 0: the turbulent screen's part of the interferogram "
                            "phase (rad), m·conj(s) convention",
    "note": "NaN where the ground point is not unique (layover): such scatterers return nothing",
}


def _streams(k: int) -> dict[str, int]:
    """Random generator streams of slave k: reflectivity change (vv), VH speckle, thermal noise (vv, vh).
    Slave 0 keeps the pair's streams, so a one-slave stack is the pair."""
    if k == 0:
        return {"change": 2, "vh": 4, "noise_vv": 6, "noise_vh": 8}
    return {"change": 100 + 4 * k, "vh": 101 + 4 * k, "noise_vv": 102 + 4 * k, "noise_vh": 103 + 4 * k}


def _cint16(z: np.ndarray) -> np.ndarray:
    return np.clip(np.round(z.real), -32768, 32767) + 1j * np.clip(np.round(z.imag), -32768, 32767)


class _Rolling:
    """The output lines a run of scatterer blocks is still adding to. Each scatterer is computed once:
    block [a, e) adds to lines [a - margin, e + margin); lines below e - margin are then final."""

    def __init__(self, keys, cols: int, margin: int):
        self.cols, self.margin = cols, margin
        self.first = -2 * margin
        self.acc = {k: np.zeros((0, cols), dtype=np.complex128) for k in keys}

    def extend(self, a: int, e: int) -> int:
        """Make room for scatterer lines a..e-1; returns the first output line of the buffers."""
        lo, hi = a - self.margin, e + self.margin
        for k, old in self.acc.items():
            new = np.zeros((hi - lo, self.cols), dtype=np.complex128)
            keep = old[lo - self.first:]
            new[:len(keep)] = keep
            self.acc[k] = new
        self.first = lo
        return lo

    def final(self, e: int, lines: int):
        """(first, n, {key: lines}) that no later scatterer block reaches."""
        lo, hi = max(self.first, 0), min(e - self.margin, lines)
        return lo, max(0, hi - lo), {k: v[lo - self.first:hi - self.first] for k, v in self.acc.items()}


def _synthesise(scene: Scene, out: Path, truth_dirs: list[Path]) -> dict:
    """Write the measurement TIFFs (master and each slave, VV and VH) and each slave's truth rasters
    (into truth_dirs[k]) by blocks of scatterer lines, each computed once."""
    cfg = scene.cfg
    lines, cols = cfg.size
    m = scene.margin
    gain = power_gain(BANDWIDTH_AZ, BANDWIDTH_RG)
    noise_power = gain / 10 ** (cfg.snr_db / 10) if cfg.snr_db is not None else 0.0
    gamma = float(cfg.coherence)
    coherence = gamma / (1.0 + noise_power / gain)
    block_lines = max(8, BLOCK_SCATTERERS // (cols + 2 * m))
    sc_cols = np.arange(-m, cols + m)
    n_slaves = len(scene.slaves)
    keys = ["master_vv", "master_vh"] + [f"slave{k}_{pol}" for k in range(n_slaves) for pol in ("vv", "vh")]
    noise_stream = {"master_vv": 5, "master_vh": 7}
    noise_stream.update({f"slave{k}_{pol}": _streams(k)[f"noise_{pol}"] for k in range(n_slaves)
                         for pol in ("vv", "vh")})
    tiffs = {k: out / f"{k}.tiff" for k in keys}
    # measurement: striped CInt16 as in real products (BigTIFF only past 4 GiB)
    cint = dict(driver="GTiff", height=lines, width=cols, count=1, dtype="complex_int16", tiled=False,
                blockysize=1, BIGTIFF="IF_SAFER")
    # truth: smooth fields, compressed losslessly (at full size they would be ~28 GB raw)
    prof = raster.geotiff_profile(lines, cols, np.float32, compress="zstd", zstd_level=1, predictor=3,
                                  num_threads=2)
    w = {k: rasterio.open(p, "w", **cint) for k, p in tiffs.items()}
    tw = []
    for truth in truth_dirs:
        truth.mkdir(parents=True, exist_ok=True)
        names = [n for n in TRUTH_FILES if n.endswith(".tif") and (n != "atmosphere_phase.tif" or scene.aps)]
        tw.append({name: rasterio.open(truth / name, "w", **{**prof, "count": 2 if name in (
            "offsets.tif", "deformation_phase.tif") else 1}) for name in names})
    stats = [{"los_min_m": np.inf, "los_max_m": -np.inf, "unresolved_pixels": 0} for _ in range(n_slaves)]
    range_check = 0.0
    prev, prev_lines = None, None
    rolling = _Rolling(keys, cols, m)
    try:
        for a in range(-m, lines + m, block_lines):
            e = min(a + block_lines, lines + m)
            sc_lines = np.arange(a, e)
            if prev is None:
                t = scene.master.first_line_s + sc_lines[:, None] * scene.master.ati + 0 * sc_cols[None, :]
                r = (scene.master.near_range_time_s + sc_cols[None, :] / scene.master.fs) * C / 2 + 0 * t
                mean_h = float(np.nanmean(scene.dem.grid))
                guess = sg.ground_point(scene.master.orbit, t, r, np.full(t.shape, mean_h), iterations=1)
                lon0, lat0, _ = sg.to_geodetic(guess)
            else:  # the previous block's last lines, extrapolated
                lon0, lat0 = _guess_from(prev_lines, prev["lon"], prev["lat"], sc_lines)
            b = _block_in_threads(scene, sc_lines, sc_cols, lon0, lat0)
            prev, prev_lines = b, sc_lines
            range_check = max(range_check, float(np.nanmax(np.abs(b["r_check"] - b["r_m"])[b["ok"]], initial=0.0)))
            g = _coherence_map(cfg, b["lon"], b["lat"])
            first = rolling.extend(a, e)
            _add_block(scene, b, g, sc_lines, rolling.acc, first)
            first_out, n, done = rolling.final(e, lines)
            if n:
                window = ((first_out, first_out + n), (0, cols))
                for key, img in done.items():
                    if noise_power > 0:
                        img = img + np.sqrt(noise_power) * _per_line_normals(
                            cfg.seed, noise_stream[key], np.arange(first_out, first_out + n), cols)
                    w[key].write(_cint16(DN_SCALE * img), 1, window=window)
            # truth on the master pixels of this block
            rows = slice(max(0, -a), min(e, lines) - a)
            if rows.stop <= rows.start:
                continue
            window = ((a + rows.start, a + rows.stop), (0, cols))
            inner = (rows, slice(m, m + cols))
            ll, cc = np.meshgrid(sc_lines[rows].astype(float), np.arange(cols, dtype=float), indexing="ij")
            ok = b["ok"][inner]
            for k in range(n_slaves):
                stats[k]["unresolved_pixels"] += int((~ok).sum())
                d = np.where(ok, b["d_los"][k][inner], np.nan)
                phase = -4 * np.pi * d / WAVELENGTH_M
                offsets = np.stack([b["line_s"][k][inner] - ll, b["col_s"][k][inner] - cc])
                offsets = np.where(ok, offsets, np.nan)
                tw[k]["los_displacement.tif"].write(d.astype(np.float32), 1, window=window)
                tw[k]["offsets.tif"].write(offsets.astype(np.float32), window=window)
                tw[k]["coherence.tif"].write((g[inner] / (1.0 + noise_power / gain)).astype(np.float32), 1,
                                             window=window)
                wrapped = np.angle(np.exp(1j * phase))
                tw[k]["deformation_phase.tif"].write(np.stack([phase, wrapped]).astype(np.float32), window=window)
                tw[k]["height.tif"].write(b["h"][inner].astype(np.float32), 1, window=window)
                if b["aps"]:  # the slave's extra phase enters m·conj(s) with the opposite sign
                    tw[k]["atmosphere_phase.tif"].write(-b["aps"][k][inner].astype(np.float32), 1, window=window)
                stats[k]["los_min_m"] = min(stats[k]["los_min_m"], float(np.nanmin(d, initial=np.inf)))
                stats[k]["los_max_m"] = max(stats[k]["los_max_m"], float(np.nanmax(d, initial=-np.inf)))
    finally:
        for f in list(w.values()) + [f for t in tw for f in t.values()]:
            f.close()
    for st in stats:
        st.update(range_check_max_m=range_check, expected_coherence=coherence, truth_files=TRUTH_FILES)
    return {"tiffs": tiffs, "stats": stats}


def _block_in_threads(scene: Scene, sc_lines, sc_cols, lon0, lat0, parts: int | None = None) -> dict:
    """Scene.block on column strips in threads (numpy releases the GIL in its array loops), joined;
    as many strips as the step's threads (numba's setting, which the rule's `threads` sets)."""
    import numba

    parts = parts or min(numba.get_num_threads(), 8)
    if parts == 1 or len(sc_cols) < 64 * parts:
        return scene.block(sc_lines, sc_cols, lon0, lat0)
    edges = np.linspace(0, len(sc_cols), parts + 1).round().astype(int)
    strips = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(lambda c: scene.block(sc_lines, sc_cols[c], lon0[:, c], lat0[:, c]), strips))
    return {k: ([np.concatenate([d[k][i] for d in done], axis=1) for i in range(len(v))] if isinstance(v, list)
                else np.concatenate([d[k] for d in done], axis=1)) for k, v in done[0].items()}


def _add_block(scene: Scene, b: dict, g: np.ndarray, sc_lines: np.ndarray, acc: dict, first: int) -> None:
    """Add one block of scatterers (master lines sc_lines, all columns and the margin) to every image.

    The master's scatterers sit on its pixel grid: a separable convolution. Each slave's VV scatterers
    sit where the slave sees them: the 2-D splat. VH is independent speckle ~8 dB below VV on each
    image's own grid (nothing interferometric; it is there to be pruned)."""
    cfg, m = scene.cfg, scene.margin
    cols = cfg.size[1]
    a = int(sc_lines[0])
    width = b["lon"].shape[1]
    sig = _per_line_normals(cfg.seed, 1, sc_lines, width)
    amp = np.sqrt(b["intensity"])
    vh_scale = amp * 10 ** (-8 / 20)

    def grid(key, values):
        convolve_grid(values, a, m, first, acc[key], BANDWIDTH_AZ, BANDWIDTH_RG)

    grid("master_vv", amp * sig * np.exp(1j * b["phase_m"]))
    grid("master_vh", vh_scale * _per_line_normals(cfg.seed, 3, sc_lines, width))
    # each slave: gamma·(master's field) + sqrt(1 - gamma²)·(its own change): coherence gamma with the
    # master, gamma² between two slaves
    for k in range(len(scene.slaves)):
        st = _streams(k)
        nu = _per_line_normals(cfg.seed, st["change"], sc_lines, width)
        values = amp * (g * sig + np.sqrt(1 - g**2) * nu) * np.exp(1j * b["phase_s"][k])
        key = f"slave{k}_vv"
        splat(values.ravel(), b["line_s"][k].ravel(), b["col_s"][k].ravel(), first, acc[key].shape[0], cols,
              BANDWIDTH_AZ, BANDWIDTH_RG, out=acc[key])
        grid(f"slave{k}_vh", vh_scale * _per_line_normals(cfg.seed, st["vh"], sc_lines, width))


def _coherence_map(cfg: PairConfig, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The pair's coherence (without thermal noise) at each scatterer: cfg.coherence, and inside the
    decorrelation disc its own value, blended by a raised cosine from 0.9 to 1.1 radii."""
    gamma = np.full(np.shape(lon), float(cfg.coherence))
    d = cfg.decorrelation
    if not d:
        return gamma
    east = (lon - d["lon"]) * 111_320.0 * np.cos(np.radians(d["lat"]))
    north = (lat - d["lat"]) * 110_574.0
    x = np.clip((np.hypot(east, north) / float(d["radius_m"]) - 0.9) / 0.2, 0.0, 1.0)
    inside = 0.5 * (1 + np.cos(np.pi * x))  # 1 inside, 0 outside
    return np.where(np.isfinite(inside), gamma + (float(d["coherence"]) - gamma) * inside, gamma)


def _guess_from(prev_lines, lon, lat, lines):
    """Initial lon/lat for `lines` from a solved block: its rows where known, else linear extrapolation."""
    step_lon, step_lat = lon[-1] - lon[-2], lat[-1] - lat[-2]
    k = (lines - prev_lines[-1]).astype(float)[:, None]
    inside = (lines >= prev_lines[0]) & (lines <= prev_lines[-1])
    idx = np.clip(lines - prev_lines[0], 0, len(prev_lines) - 1)
    lon_g = np.where(inside[:, None], lon[idx], lon[-1][None, :] + k * step_lon[None, :])
    lat_g = np.where(inside[:, None], lat[idx], lat[-1][None, :] + k * step_lat[None, :])
    return lon_g, lat_g


def _per_line_normals(seed: int, stream: int, lines: np.ndarray, width: int) -> np.ndarray:
    """Unit-power circular Gaussian samples, each line from its own generator (block-size independent)."""
    out = np.empty((len(lines), width), dtype=np.complex128)
    for i, line in enumerate(lines):
        rng = np.random.default_rng([seed, stream, int(line) + 2**31])
        out[i] = (rng.standard_normal(width) + 1j * rng.standard_normal(width)) / np.sqrt(2)
    return out


def write_pair(out: str | Path, cfg: PairConfig, dem_path: str | Path | None = None) -> dict:
    """Simulate the pair (or the stack, cfg.stack) into `out`: master/*.SAFE, slave/*.SAFE (one per
    slave), orbits/*.EOF, dem.tif, truth/ (a stack: truth/<slave product>/ for each slave).

    Returns the truth summary (also written as truth/truth.json).
    """
    import shutil
    import tempfile

    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.eof_writer import write_eof
    from dinsar.simulate.safe_writer import write_safe

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines, cols = cfg.size
    dem_file = out / "dem.tif"
    if dem_path:
        shutil.copyfile(dem_path, dem_file)
    else:
        half = max(0.08, (max(lines * 4.5, cols * 4.5) / 2 + 8000.0) / 110_000.0)
        centre = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
        write_volcano_dem(dem_file, half_size_deg=half, centre=centre)
    scene = _scene(cfg, dem_file)
    master_name, slave_names = product_names(cfg)
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    # a pair's truth is truth/; a stack's, truth/<slave product>/ (relative to the master)
    truth_dirs = [work / "truth"] if not cfg.stack else [work / "truth" / n for n in slave_names]
    try:
        result = _synthesise(scene, work, truth_dirs)
        products = {}
        passes = [("master", scene.master, master_name, "master")]
        passes += [("slave", p, n, f"slave{k}") for k, (p, n) in enumerate(zip(scene.slaves, slave_names,
                                                                             strict=True))]
        for folder, p, name, key in passes:
            grid = _grid_nodes(p, lines, cols, scene.dem)
            sv_window = np.abs(p.sv_t - (p.first_line_s + lines / 2 * p.ati)) <= 65
            imgs = [_swath_image(p, pol, cfg, grid, sv_window) for pol in ("VV", "VH")]
            tiffs = {"VV": result["tiffs"][f"{key}_vv"], "VH": result["tiffs"][f"{key}_vh"]}
            orbit_no = imgs[0].absolute_orbit
            products[name] = write_safe(out / folder, name, imgs, relative_orbit(orbit_no), orbit_no % 0xFFFFFF,
                                        lambda img, t=tiffs: t[img.polarisation], as_zip=cfg.as_zip)
            created = p.time(p.sv_t[-1]) + np.timedelta64(20, "D")
            write_eof(out / "orbits", p.mission, p.time(p.sv_t), p.sv_pos, p.sv_vel, created)
        common = {
            "master": products[master_name].name, "size": list(cfg.size), "seed": cfg.seed,
            "look_angle_deg": float(np.degrees(scene.look_angle)), "orbit": scene.orbit_source,
            "wavelength_m": WAVELENGTH_M, "coherence": cfg.coherence, "decorrelation": cfg.decorrelation,
            "snr_db": cfg.snr_db,
            "atmosphere_rms_rad": cfg.atmosphere_rms_rad, "misregistration": cfg.misregistration,
            "slave_shift": {"lines": cfg.slave_shift[0], "samples": cfg.slave_shift[1]},
            "timing": S4_TIMING, "bandwidth": {"azimuth": BANDWIDTH_AZ, "range": BANDWIDTH_RG},
            "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; "
                           "offsets: position in the slave image of each master pixel minus the pixel",
        }
        summaries = []
        for k, ((days, baseline, dvolume), name) in enumerate(zip(cfg.slaves(), slave_names, strict=True)):
            summaries.append({**common, "slave": products[name].name, "days": days, "baseline_perp_m": baseline,
                              "mogi": {**cfg.mogi, "dvolume_m3": dvolume}, **result["stats"][k]})
            (truth_dirs[k] / "truth.json").write_text(json.dumps(summaries[-1], indent=1, default=float))
        summary = summaries[0]
        if cfg.stack:
            summary = {**common, "slaves": [s["slave"] for s in summaries],
                       "pairs": {s["slave"]: f"truth/{s['slave'].removesuffix('.SAFE').removesuffix('.zip')}"
                                 for s in summaries},
                       "coherence_between_slaves": summaries[0]["expected_coherence"] * cfg.coherence}
            (work / "truth" / "truth.json").write_text(json.dumps(summary, indent=1, default=float))
        if (out / "truth").exists():
            shutil.rmtree(out / "truth")
        os.replace(work / "truth", out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated %s and %d slave(s) in %s", master_name, len(slave_names), out)
    return summary
