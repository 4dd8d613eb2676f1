"""TerraSAR-X / TanDEM-X StripMap and SpotLight geometry for simulated SSC products: instrument constants,
the orbit, and the header of one image (`TsxHeader`, what dinsar.simulate.terrasar_writer writes as a
level1Product).

The geometry is the simulator's own (dinsar.simulate.geometry and .orbit, numpy): a circular orbit at
TerraSAR-X's ~514 km (97.44° inclination) placed so that the scene centre is seen at MID_RANGE_M on the
middle line, right looking, ascending. Timing is StripMap's: 3800 Hz lines (~1.9 m along track on the
ground), 109.89 MHz range sampling (1.36 m slant-range samples, the 100 MHz chirp), X band at 9.65 GHz.
SpotLight (SL): the 150 MHz chirp's 164.84 MHz sampling (0.91 m slant-range samples; the 300 MHz chirp of
HS would be 329.67 MHz, 0.45 m) and 6500 Hz lines, the top of TerraSAR-X's 2-6.5 kHz PRF range that the
spotlight modes use (~1.1 m along track; 0.8 of it processed, ~1.4 m resolution, between SL's 1.7 m and
HS's 1.1 m). Nothing here imports the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.orbit import CircularOrbit, place_circular_orbit

C = sg.C
CENTER_FREQUENCY_HZ = 9.65e9  # instrument/radarParameters/centerFrequency
WAVELENGTH_M = C / CENTER_FREQUENCY_HZ  # 0.031067 m
ORBIT_RADIUS_M = 6_378_137.0 + 514_000.0
INCLINATION_DEG = 97.44
MID_RANGE_M = 600_000.0  # ~33° incidence at mid swath (StripMap beams strip_003..strip_014 span 20°-45°)
PRF_HZ = 3800.0  # productSpecific/complexImageInfo/commonPRF: ~1.9 m along track at ~7.1 km/s ground speed
RSF_HZ = 109_890_109.89  # commonRSF: 1.364 m slant-range samples (150 MHz mode: 164.8 MHz)
RX_BANDWIDTH_HZ = 100e6  # instrument/settings/rxBandwidth
BEAM_ID = "strip_007"
# SpotLight: (range sampling Hz, line rate Hz, beam); spot_NNN is how delivered spotlight beams are named
SL_RSF_HZ, SL_PRF_HZ, SL_BEAM_ID = 164_835_164.84, 6500.0, "spot_042"
MODE_TIMING = {"SM": (RSF_HZ, PRF_HZ, BEAM_ID), "SL": (SL_RSF_HZ, SL_PRF_HZ, SL_BEAM_ID)}
SV_STEP_S, SV_HALF_SPAN_S = 10.0, 100.0  # TerraSAR-X annotates state vectors every 10 s
DOPPLER_ESTIMATES = 5  # dopplerEstimate records over the scene


@dataclass
class TsxHeader:
    """One image's annotation as the writer puts it in the level1Product XML (times UTC, datetime64[ns])."""

    mission: str  # TSX-1 or TDX-1
    polarisation: str
    lines: int
    samples: int
    first_line_utc: np.datetime64  # whole microseconds (the XML's timeUTC precision)
    line_interval_s: float
    near_range_time_s: float  # two-way
    range_sampling_rate_hz: float
    sv_utc: np.ndarray  # whole seconds
    sv_pos: np.ndarray
    sv_vel: np.ndarray
    centre: tuple[float, float, float]  # lon, lat, ellipsoidal height of the scene centre
    azimuth_bandwidth_hz: float
    range_bandwidth_hz: float
    doppler_ref_s: float  # two-way range time the Doppler polynomials are about
    doppler_coefficients: tuple[float, ...] = (0.0,)  # combinedDoppler: Hz in (tau - ref)^k, all estimates
    imaging_mode: str = "SM"
    beam: str = BEAM_ID  # elevationBeamConfiguration, the COSAR's name
    # Spotlight: the dopplerEstimate records ((timeUTC, combinedDoppler coefficients about doppler_ref_s),
    # ...); empty: DOPPLER_ESTIMATES records of doppler_coefficients over the scene
    doppler_estimates: tuple = ()
    look_direction: str = "RIGHT"
    orbit_direction: str = "ASCENDING"
    abs_orbit: int = 34567
    frequency_hz: float = CENTER_FREQUENCY_HZ
    line_spacing_m: float = 0.0  # projectedSpacingAzimuth (filled by complete())
    fm_rate_coefficients: tuple[float, ...] = ()  # dopplerRatePolynomial (Hz/s in (tau - ref)^k)
    corners: tuple = ()  # ((line, col, lat, lon, incidence deg), ...) of the four corners
    mid_incidence_deg: float = 0.0

    @property
    def last_line_utc(self) -> np.datetime64:
        return self.time(self.lines - 1)

    def time(self, line: float) -> np.datetime64:
        return self.first_line_utc + np.timedelta64(int(round(line * self.line_interval_s * 1e9)), "ns")

    @property
    def far_range_time_s(self) -> float:
        return self.near_range_time_s + (self.samples - 1) / self.range_sampling_rate_hz


def place_orbit(lon: float, lat: float, h: float) -> CircularOrbit:
    """TerraSAR-X's circular orbit seeing (lon, lat, h) at MID_RANGE_M at t = 0 (simulate.orbit)."""
    return place_circular_orbit(lon, lat, h, ORBIT_RADIUS_M, INCLINATION_DEG, MID_RANGE_M)


def _seconds(h: TsxHeader, t: np.datetime64) -> float:
    return float((np.datetime64(t, "ns") - h.sv_utc[0]) / np.timedelta64(1, "ns")) * 1e-9


def complete(h: TsxHeader) -> TsxHeader:
    """Fill the header's derived annotation from its orbit: the along-track ground spacing, the azimuth FM
    rate -2 V²/(λ R) about the Doppler reference (V² ≈ v_sat · v_ground), the corners' lat/lon and
    incidence, the mid-swath incidence, all at the scene centre's height."""
    t_sv = (h.sv_utc - h.sv_utc[0]) / np.timedelta64(1, "ns") * 1e-9
    poly = sg.PolyOrbit(t_sv, h.sv_pos, h.sv_utc[0])
    h0 = h.centre[2]
    t_mid = _seconds(h, h.time((h.lines - 1) / 2))
    dt = h.line_interval_s
    mid_range = h.doppler_ref_s * C / 2
    g = sg.ground_point(poly, np.array([t_mid, t_mid + dt]), np.full(2, mid_range), np.full(2, h0))
    h.line_spacing_m = float(np.linalg.norm(g[1] - g[0]))
    v_eff2 = float(np.linalg.norm(poly.velocity(t_mid))) * h.line_spacing_m / dt
    k = -4.0 * v_eff2 / (C * C / h.frequency_hz)  # f(τ) = k / τ; Taylor terms about τ_ref
    tau = h.doppler_ref_s
    h.fm_rate_coefficients = (k / tau, -k / tau**2, k / tau**3)

    def seen(line: float, col: float) -> tuple[float, float, float]:
        t = _seconds(h, h.time(line))
        r = (h.near_range_time_s + col / h.range_sampling_rate_hz) * C / 2
        x = sg.ground_point(poly, np.array([t]), np.array([r]), np.array([h0]))
        lon, lat, _ = sg.to_geodetic(x)
        lo, la = np.radians(lon[0]), np.radians(lat[0])
        normal = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
        inc = np.degrees(np.arccos(np.dot(normal, poly.position(t) - x[0]) / r))
        return float(lat[0]), float(lon[0]), float(inc)

    last_l, last_c = h.lines - 1, h.samples - 1
    h.corners = tuple((ln, c, *seen(ln, c)) for ln, c in ((0, 0), (0, last_c), (last_l, 0), (last_l, last_c)))
    h.mid_incidence_deg = seen(last_l / 2, last_c / 2)[2]
    return h
