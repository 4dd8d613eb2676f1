"""The passes of a simulated pair over the DEM and the scatterers' geometry, whatever the sensor.

`Pass` is one acquisition's orbit (the simulator's polynomial through its state vectors) and image
timing; `Scene` holds the master and slave passes over a DEM (`DemSampler`, bilinear, ellipsoidal
heights), the Mogi sources moving the ground between them and the sensor's wavelength, and computes
each scatterer's ground point, local incidence, phases and slave position (`Scene.block`).
`scene_from_orbit` builds one from the master's state vectors: the slaves are the master trajectory
offset by a perpendicular baseline, `days` later. The Sentinel-1 simulator (dinsar.simulate.scene)
and the COSMO-SkyMed one (dinsar.simulate.cosmo_pair) place their orbits and call it. All geometry is
the simulator's own (dinsar.simulate.geometry, numpy, PROJ); nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.config import RADAR_FREQUENCY_HZ, S4_TIMING, PairConfig
from dinsar.simulate.mogi import Mogi, enu_to_ecef

C = sg.C
WAVELENGTH_M = C / RADAR_FREQUENCY_HZ  # Sentinel-1
ORBIT_WINDOW_S = 100.0  # the state vectors within this of the scene centre make each pass's polynomial


def baseline_offset(pos: np.ndarray, vel: np.ndarray, look_angle: float, b_perp: float) -> np.ndarray:
    """Offset vectors of b_perp metres perpendicular to the line of sight, in each zero-Doppler plane."""
    vh = vel / np.linalg.norm(vel, axis=-1, keepdims=True)
    up = pos - np.sum(pos * vh, -1, keepdims=True) * vh
    up /= np.linalg.norm(up, axis=-1, keepdims=True)
    side = np.cross(vh, up)
    return b_perp * (np.sin(look_angle) * up + np.cos(look_angle) * side)


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
    wavelength_m: float = WAVELENGTH_M  # the sensor's (Sentinel-1's C band unless said)

    def start(self, t: np.ndarray, r: np.ndarray, passes: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """lon, lat where the ground solver (block) starts for master pixels at times t, slant ranges r that
        have no solved neighbour: the zero-Doppler point at the DEM's mean height, moved `passes` times to
        the DEM's height under it. A start at one height for all is out of Newton's reach where the
        terrain is hundreds of metres from it (a summit in a small scene: Newton then settles nowhere)."""
        h = np.full(np.shape(t), float(np.nanmean(self.dem.grid)))
        for k in range(passes + 1):
            lon, lat, _ = sg.to_geodetic(sg.ground_point(self.master.orbit, t, r, h, iterations=1))
            if k < passes:
                under = self.dem(lon, lat)
                h = np.where(np.isfinite(under), under, h)
        return lon, lat

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
        phase_m = np.mod(-4 * np.pi * r_m / self.wavelength_m, 2 * np.pi)
        dl, dc = self.misregistration(ll, cc)
        out = dict(lon=lon, lat=lat, h=h, ok=ok, r_m=r_m, r_check=r_check, intensity=intensity,
                   phase_m=phase_m, line_s=[], col_s=[], d_los=[], phase_s=[], aps=[])
        for k, (s, mogi) in enumerate(zip(self.slaves, self.mogis, strict=True)):
            # deformation since the master's date, and the slave's view of the moved ground
            u = enu_to_ecef(lon, lat, mogi.enu(lon, lat))
            xs = x + u
            t_s, r_s, sat_s = sg.zero_doppler(s.orbit, xs, t_m + (s.first_line_s - m.first_line_s))
            los_s = (sat_s - xs) / r_s[..., None]
            phase_s = np.mod(-4 * np.pi * r_s / self.wavelength_m, 2 * np.pi)
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


def turbulence(shape, rms, seed) -> np.ndarray:
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


def scene_from_orbit(cfg: PairConfig, sampler: DemSampler, target: tuple[float, float], t: np.ndarray,
                     pos: np.ndarray, vel: np.ndarray, epoch: np.datetime64, centre_s: float, first_line_s: float,
                     near_range_time_s: float, ati: float, fs: float, mission: str = "S1A",
                     wavelength_m: float = WAVELENGTH_M) -> Scene:
    """The master pass on the state vectors (t s since `epoch`, ECEF pos, vel), its scene centre at
    `centre_s` seen at mid range over `target`; each slave of cfg.slaves() the same trajectory offset
    by its perpendicular baseline, `days` later, starting cfg.slave_shift (lines, samples) later and
    farther; the Mogi source's motion at each slave's date; the atmosphere screens."""
    lines, cols = cfg.size
    mid_range = (near_range_time_s + cols / 2 / fs) * C / 2
    near = np.abs(t - centre_s) <= ORBIT_WINDOW_S
    m_orbit = sg.PolyOrbit(t[near], pos[near], epoch)
    master = Pass(mission, epoch, m_orbit, t, pos, vel, first_line_s, near_range_time_s, ati, fs)
    # look angle at the scene centre, for the baseline direction
    lon0 = np.array([target[0]])
    lat0 = np.array([target[1]])
    _, _, _, x0, _ = sg.ground_on_surface(m_orbit, np.array([centre_s]), np.array([mid_range]), sampler, lon0,
                                          lat0, iterations=30)
    p0, v0 = m_orbit.position(centre_s), m_orbit.velocity(centre_s)
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
        slaves.append(Pass(mission, epoch + np.timedelta64(days, "D"), s_orbit, t, pos_s, vel_s,
                           first_line_s + cfg.slave_shift[0] * ati, near_range_time_s + cfg.slave_shift[1] / fs,
                           ati, fs))
        mogis.append(Mogi(**{**cfg.mogi, "dvolume_m3": dvolume}))
    margin = 8 + 2 + int(np.ceil(max(np.abs(cfg.slave_shift)) + 2))
    aps = None
    if cfg.atmosphere_rms_rad > 0:
        aps = [turbulence((max(8, (lines + 2 * margin) // 16), max(8, (cols + 2 * margin) // 16)),
                          cfg.atmosphere_rms_rad, cfg.seed + 1000 * k) for k in range(len(slaves))]
    # incidence on flat ground at the centre (ellipsoid normal): the intensity law's unit
    lon_c, lat_c, h_c = sg.to_geodetic(x0)
    normal = sg.llh_to_xyz(lon_c, lat_c, h_c + 1.0)[0] - x0[0]
    flat_theta = float(np.arccos(-los @ normal))
    flat_cot = float(np.cos(flat_theta) / np.sin(flat_theta))
    return Scene(cfg, master, slaves, sampler, mogis, look, margin, flat_cot, aps, wavelength_m)
