"""A small synthetic COSMO-SkyMed scene: orbit, image timing, Doppler and point targets with known truth.

The geometry is the simulator's own (dinsar.simulate.geometry and .orbit, numpy): a circular orbit at
COSMO-SkyMed's altitude placed so that the scene centre is seen at mid range on the middle line, a
right-looking zero-Doppler grid of ~3 m pixels, and point targets whose lon/lat/height come from
ground_point at chosen (fractional) pixels. The image holds each target as a band-limited 2-D sinc
carrying its phase -4πR/λ and the Doppler centroid at its position, over weak noise. dinsar.simulate.
cosmo_writer writes it as a CSK or CSG SCS HDF5 product.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.orbit import CircularOrbit, place_circular_orbit

C = sg.C
WAVELENGTH_M = 0.031228  # X band, 9.6 GHz
ORBIT_RADIUS_M = 6_378_137.0 + 619_600.0  # COSMO-SkyMed's ~620 km
INCLINATION_DEG = 97.86
PIXEL_M = 3.0  # StripMap slant-range and along-track ground spacing
MID_RANGE_M = 700_000.0  # ~27.5° incidence at mid swath
PRF_HZ = 2290.0  # line rate: ~3 m along track on the ground at ~6870 m/s
SV_STEP_S, SV_HALF_SPAN_S = 5.0, 60.0  # state vectors every 5 s, ±60 s around the scene centre
AZIMUTH_BANDWIDTH_FRACTION = 0.8  # processed azimuth bandwidth / PRF
RANGE_BANDWIDTH_FRACTION = 0.85  # range focusing bandwidth / range sampling rate
DOPPLER_HZ = 35.0  # centroid at the reference point
DOPPLER_RANGE_SLOPE_HZ_S = 1.0e6  # d f_dc / d tau (Hz per s of two-way range time)
SPOTLIGHT_SWEEP_HZ_S = -2000.0  # d f_dc / dt along azimuth of a Spotlight image
TARGET_AMPLITUDE = 8000.0  # DN, at the peak
NOISE_DN = 4.0  # per component


@dataclass(frozen=True)
class CosmoConfig:
    generation: int = 1  # 1: CSK (S01/SBI), 2: CSG (S01/IMG)
    mode: str = "HIMAGE"  # HIMAGE (StripMap) or SPOTLIGHT
    lines: int = 256
    samples: int = 256
    flip_lines: bool = False  # store `Lines Order` LATE-EARLY (the latest line first)
    flip_columns: bool = False  # store `Columns Order` FAR-NEAR
    product_type: str = "SCS_B"
    polarisation: str = "HH"
    dtype: str = "int16"  # int16 or float32 I/Q
    centre: tuple[float, float, float] = (14.14, 40.83, 80.0)  # lon, lat (deg), ellipsoidal height (m)
    centre_time: str = "2021-04-01T05:12:30.250"  # UTC of the middle line
    # (line, column, ellipsoidal height m) of each point target, in the chain's orientation
    targets: tuple[tuple[float, float, float], ...] = (
        (60.3, 70.6, 80.0), (128.0, 128.45, 300.0), (190.6, 60.2, 0.0), (100.25, 200.8, 1200.0))
    seed: int = 0

    def __post_init__(self):
        if self.generation not in (1, 2):
            raise ValueError(f"generation must be 1 (CSK) or 2 (CSG), got {self.generation}")
        if self.mode not in ("HIMAGE", "SPOTLIGHT"):
            raise ValueError(f"mode must be HIMAGE or SPOTLIGHT, got {self.mode}")
        if self.dtype not in ("int16", "float32"):
            raise ValueError(f"dtype must be int16 or float32, got {self.dtype}")


@dataclass
class CosmoScene:
    cfg: CosmoConfig
    reference_utc: np.datetime64  # midnight of the acquisition day; every time below is seconds since it
    sv_t: np.ndarray
    sv_pos: np.ndarray
    sv_vel: np.ndarray
    sv_acc: np.ndarray
    first_line_s: float
    line_interval_s: float
    near_range_time_s: float
    column_interval_s: float
    line_spacing_m: float
    doppler: tuple[float, float, float]  # (f0 Hz, d/dtau Hz/s, d/dt Hz/s) about the reference point
    doppler_ref: tuple[float, float]  # (tau_ref s, t_ref s)
    fm_rate_coefficients: np.ndarray  # in (tau - tau_ref): Hz/s, Taylor of -2 V² / (λ R)
    v_eff2: float
    targets: list[dict] = field(default_factory=list)
    image: np.ndarray | None = None  # complex128, the chain's orientation

    @property
    def last_line_s(self) -> float:
        return self.first_line_s + (self.cfg.lines - 1) * self.line_interval_s

    @property
    def far_range_time_s(self) -> float:
        return self.near_range_time_s + (self.cfg.samples - 1) * self.column_interval_s

    def doppler_centroid(self, tau, t):
        f0, d_tau, d_t = self.doppler
        return f0 + d_tau * (np.asarray(tau) - self.doppler_ref[0]) + d_t * (np.asarray(t) - self.doppler_ref[1])

    def fm_rate(self, tau):
        return np.polynomial.polynomial.polyval(np.asarray(tau) - self.doppler_ref[0], self.fm_rate_coefficients)


def place_orbit(lon: float, lat: float, h: float) -> CircularOrbit:
    """COSMO-SkyMed's circular orbit seeing (lon, lat, h) at MID_RANGE_M at t = 0 (simulate.orbit)."""
    return place_circular_orbit(lon, lat, h, ORBIT_RADIUS_M, INCLINATION_DEG, MID_RANGE_M)


def build_scene(cfg: CosmoConfig) -> CosmoScene:
    """Orbit, timing, Doppler, targets and image of `cfg`."""
    lon0, lat0, h0 = cfg.centre
    centre = np.datetime64(cfg.centre_time, "ns")
    reference = centre.astype("M8[D]").astype("M8[ns]")
    centre_s = (centre - reference) / np.timedelta64(1, "ns") * 1e-9
    orbit = place_orbit(lon0, lat0, h0)
    t_rel = np.arange(-SV_HALF_SPAN_S, SV_HALF_SPAN_S + 0.5 * SV_STEP_S, SV_STEP_S)
    pos, vel = orbit.state(t_rel)
    dt = 1e-3  # acceleration of the analytic orbit by central differences of its velocity
    acc = (orbit.state(t_rel + dt)[1] - orbit.state(t_rel - dt)[1]) / (2 * dt)
    sv_t = t_rel + centre_s
    poly = sg.PolyOrbit(sv_t, pos, reference)

    line_interval = 1.0 / PRF_HZ
    column_interval = 2.0 * PIXEL_M / C
    first_line_s = centre_s - (cfg.lines - 1) / 2 * line_interval
    near_range_time = 2.0 * MID_RANGE_M / C - (cfg.samples - 1) / 2 * column_interval
    sweep = SPOTLIGHT_SWEEP_HZ_S if cfg.mode == "SPOTLIGHT" else 0.0
    scene = radar_scene(cfg, reference, sv_t, pos, vel, acc, first_line_s, line_interval, near_range_time,
                        column_interval, (DOPPLER_HZ, DOPPLER_RANGE_SLOPE_HZ_S, sweep))
    _add_targets(scene, poly)
    scene.image = _image(scene)
    return scene


def radar_scene(cfg: CosmoConfig, reference: np.datetime64, sv_t: np.ndarray, pos: np.ndarray, vel: np.ndarray,
                acc: np.ndarray, first_line_s: float, line_interval: float, near_range_time: float,
                column_interval: float, doppler: tuple[float, float, float]) -> CosmoScene:
    """The orbit, image timing and Doppler of one image (times in seconds since `reference`), without
    targets or samples: the along-track ground spacing and the azimuth FM rate from the orbit at the
    image's middle line and mid range, at the height cfg.centre[2]; the Doppler (f0, d/dτ, d/dt) about
    that point."""
    h0 = cfg.centre[2]
    poly = sg.PolyOrbit(sv_t, pos, reference)
    centre_s = first_line_s + (cfg.lines - 1) / 2 * line_interval
    tau_ref = near_range_time + (cfg.samples - 1) / 2 * column_interval
    mid_range = tau_ref * C / 2
    # along-track ground spacing: the mid-range ground point's motion over one line
    g = sg.ground_point(poly, np.array([centre_s, centre_s + line_interval]), np.full(2, mid_range),
                        np.full(2, h0))
    line_spacing = float(np.linalg.norm(g[1] - g[0]))
    v_sat = float(np.linalg.norm(poly.velocity(centre_s)))
    v_eff2 = v_sat * line_spacing / line_interval  # V_eff² ≈ v_sat · v_ground
    # -2 V²/(λ R) with R = c τ / 2: f(τ) = k / τ, k = -4 V² / (λ c); its Taylor terms about τ_ref
    k = -4.0 * v_eff2 / (WAVELENGTH_M * C)
    fm = np.array([k / tau_ref, -k / tau_ref**2, k / tau_ref**3])
    return CosmoScene(cfg, reference, sv_t, pos, vel, acc, first_line_s, line_interval, near_range_time,
                      column_interval, line_spacing, doppler, (tau_ref, centre_s), fm, v_eff2)


def _add_targets(scene: CosmoScene, poly: sg.PolyOrbit) -> None:
    for line, col, h in scene.cfg.targets:
        t = scene.first_line_s + line * scene.line_interval_s
        tau = scene.near_range_time_s + col * scene.column_interval_s
        r = tau * C / 2
        x = sg.ground_point(poly, np.array([t]), np.array([r]), np.array([h]))[0]
        lon, lat, hh = (float(v[0]) for v in sg.to_geodetic(x[None]))
        t_zd, r_zd, sat = sg.zero_doppler(poly, x[None], np.array([t]))  # the simulator's own check
        assert abs(t_zd[0] - t) < 1e-8 and abs(r_zd[0] - r) < 1e-5, "ground_point / zero_doppler disagree"
        lo, la = np.radians(lon), np.radians(lat)
        normal = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
        incidence = np.degrees(np.arccos(np.dot(normal, sat[0] - x) / r))
        scene.targets.append(dict(line=line, col=col, lon=lon, lat=lat, h=hh, azimuth_s=t, slant_range_m=r,
                                  xyz=x.tolist(), doppler_hz=float(scene.doppler_centroid(tau, t)),
                                  incidence_deg=float(incidence)))


def _image(scene: CosmoScene) -> np.ndarray:
    cfg = scene.cfg
    rng = np.random.default_rng(cfg.seed)
    lines = np.arange(cfg.lines, dtype=np.float64)[:, None]
    cols = np.arange(cfg.samples, dtype=np.float64)[None, :]
    img = NOISE_DN * (rng.standard_normal((cfg.lines, cfg.samples))
                      + 1j * rng.standard_normal((cfg.lines, cfg.samples)))
    for tg in scene.targets:
        dl, dc = lines - tg["line"], cols - tg["col"]
        envelope = np.sinc(AZIMUTH_BANDWIDTH_FRACTION * dl) * np.sinc(RANGE_BANDWIDTH_FRACTION * dc)
        phase = -4 * np.pi * tg["slant_range_m"] / WAVELENGTH_M + \
            2 * np.pi * tg["doppler_hz"] * dl * scene.line_interval_s
        img = img + TARGET_AMPLITUDE * envelope * np.exp(1j * phase)
    return img
