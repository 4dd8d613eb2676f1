"""The embedded demo product: a StripMap SLC (VV + VH) of fully developed speckle.

Its annotation is self-consistent (an analytic orbit placed so that the
scene centre falls on Piton de la Fournaise, a geolocation grid from the
zero-Doppler geometry on the WGS84 ellipsoid); its pixels carry circular
Gaussian speckle over a smooth random backscatter pattern. The simulator
issue replaces it with a physically simulated interferometric pair.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dinsar.io.annotation import SPEED_OF_LIGHT, GeolocationGrid
from dinsar.simulate.geometry import ground_point, to_geodetic
from dinsar.simulate.naming import absolute_orbit, relative_orbit
from dinsar.simulate.naming import product_name as safe_name
from dinsar.simulate.orbit import CircularOrbit
from dinsar.simulate.safe_writer import SwathImage, write_safe

# StripMap S3 timing of a real S1A product (annotation of 2021-04-01).
S3_TIMING = dict(
    range_sampling_rate_hz=6.672839509333333e07,
    azimuth_time_interval_s=5.194923129469381e-04,
    slant_range_time_s=5.272617843915159e-03,
    radar_frequency_hz=5.405000454334350e09,
)
TARGET_LON_LAT = (55.71, -21.24)  # Piton de la Fournaise
BLOCK_LINES = 256
PATTERN_CELL = 64  # pixels per cell of the smooth backscatter pattern


def _start(start_time: str) -> np.datetime64:
    return np.datetime64(start_time, "us")


def product_name(start_time: str, size: tuple[int, int]) -> str:
    """ESA-style name, a function of the start time and size only (Snakemake needs it up front)."""
    t0 = _start(start_time)
    t1 = t0 + np.timedelta64(int(size[0] * S3_TIMING["azimuth_time_interval_s"] * 1e6), "us")
    return safe_name("S3", t0, t1, f"{start_time}{size}")


def _place_orbit(mid_range_m: float) -> CircularOrbit:
    """Rotate an ascending orbit so that the scene centre lands on TARGET_LON_LAT."""
    inc = np.radians(98.18)
    raan = np.radians(TARGET_LON_LAT[0] - 6.0)
    u0 = np.arcsin(np.sin(np.radians(TARGET_LON_LAT[1])) / np.sin(inc))
    for _ in range(6):
        orbit = CircularOrbit(raan, u0)
        lon, lat, _ = to_geodetic(ground_point(orbit, np.array([0.0]), np.array([mid_range_m]), np.zeros(1)))
        raan += np.radians(TARGET_LON_LAT[0] - lon[0])
        u0 += np.radians(TARGET_LON_LAT[1] - lat[0]) / np.sin(inc)
    return CircularOrbit(raan, u0)


def _grid(orbit: CircularOrbit, lines: int, samples: int, t_mid_s: float, first_line_time) -> GeolocationGrid:
    ati, srt, fs = (S3_TIMING[k] for k in ("azimuth_time_interval_s", "slant_range_time_s",
                                            "range_sampling_rate_hz"))
    line_nodes = np.unique(np.linspace(0, lines - 1, 10).round().astype(int))
    pixel_nodes = np.unique(np.linspace(0, samples - 1, 10).round().astype(int))
    ll, pp = (a.ravel() for a in np.meshgrid(line_nodes, pixel_nodes, indexing="ij"))
    t = ll * ati - t_mid_s
    tau = srt + pp / fs
    pos, vel = orbit.state(t)
    xyz = ground_point(orbit, t, tau * SPEED_OF_LIGHT / 2, np.zeros_like(t))
    lon, lat, h = to_geodetic(xyz)
    normal = np.stack([np.cos(np.radians(lat)) * np.cos(np.radians(lon)),
                       np.cos(np.radians(lat)) * np.sin(np.radians(lon)), np.sin(np.radians(lat))], -1)
    to_sat = (pos - xyz) / np.linalg.norm(pos - xyz, axis=1, keepdims=True)
    incidence = np.degrees(np.arccos(np.sum(to_sat * normal, axis=1)))
    az_time = first_line_time + (ll * ati * 1e9).round().astype("m8[ns]")
    return GeolocationGrid(az_time.astype("M8[ns]"), tau, ll, pp, lat, lon, h, incidence)


def demo_images(size: tuple[int, int], start_time: str) -> list[SwathImage]:
    lines, samples = size
    ati, srt, fs, f0 = (S3_TIMING[k] for k in ("azimuth_time_interval_s", "slant_range_time_s",
                                                "range_sampling_rate_hz", "radar_frequency_hz"))
    first = _start(start_time).astype("M8[ns]")
    t_mid_s = (lines - 1) / 2 * ati
    mid_range = (srt + samples / 2 / fs) * SPEED_OF_LIGHT / 2
    orbit = _place_orbit(mid_range)
    # state vectors every 10 s on whole seconds, ±60 s around the scene
    t0_whole = first.astype("M8[s]")
    sv_time = t0_whole + np.arange(-6, 7) * np.timedelta64(10, "s")
    sv_rel = (sv_time - first) / np.timedelta64(1, "s") - t_mid_s
    sv_pos, sv_vel = orbit.state(sv_rel)
    grid = _grid(orbit, lines, samples, t_mid_s, first)
    pos, vel = orbit.state(np.array([0.0]))
    lon0, lat0 = np.radians(to_geodetic(pos)[0][0]), np.radians(to_geodetic(pos)[1][0])
    east = np.array([-np.sin(lon0), np.cos(lon0), 0.0])
    north = np.array([-np.sin(lat0) * np.cos(lon0), -np.sin(lat0) * np.sin(lon0), np.cos(lat0)])
    heading = float(np.degrees(np.arctan2(vel[0] @ east, vel[0] @ north)))
    v = float(np.linalg.norm(vel[0]))
    v_ground = v * 6_371_000.0 / float(np.linalg.norm(pos[0]))
    wavelength = SPEED_OF_LIGHT / f0
    tau = srt + np.array([0.0, 0.5, 1.0]) * samples / fs
    # azimuth FM rate -2 V Vg / (λ R) (zero-squint, effective velocity sqrt(V Vg))
    fm_rate = -2 * v * v_ground / (wavelength * tau * SPEED_OF_LIGHT / 2)
    fm = np.polynomial.polynomial.polyfit(tau - srt, fm_rate, 2)
    orbit_no = absolute_orbit(first)
    common = dict(
        mission="S1A", mode="SM", swath="S3", first_line_time=first, azimuth_time_interval_s=ati,
        slant_range_time_s=srt, range_sampling_rate_hz=fs, radar_frequency_hz=f0, lines=lines,
        samples=samples, absolute_orbit=orbit_no, pass_direction="Ascending", heading_deg=heading,
        incidence_mid_deg=float(np.median(grid.incidence_angle)),
        range_pixel_spacing_m=SPEED_OF_LIGHT / (2 * fs), azimuth_pixel_spacing_m=v_ground * ati,
        sv_time=sv_time.astype("M8[ns]"), sv_position=sv_pos, sv_velocity=sv_vel, grid=grid,
        dc_t0=srt, fm_poly=tuple(fm),
    )
    return [SwathImage(polarisation=p, **common) for p in ("VV", "VH")]


def _pattern(size: tuple[int, int], seed: int) -> np.ndarray:
    """A coarse log-normal backscatter pattern (cells of PATTERN_CELL pixels)."""
    rng = np.random.default_rng([seed, 0])
    shape = (size[0] // PATTERN_CELL + 2, size[1] // PATTERN_CELL + 2)
    return np.exp(0.8 * rng.standard_normal(shape)).astype(np.float32)


def _upsample(coarse: np.ndarray, first: int, n: int, samples: int) -> np.ndarray:
    """Bilinear interpolation of the coarse pattern on lines first..first+n-1."""
    y = (np.arange(first, first + n) / PATTERN_CELL)[:, None]
    x = (np.arange(samples) / PATTERN_CELL)[None, :]
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    fy, fx = y - y0, x - x0
    return ((1 - fy) * (1 - fx) * coarse[y0, x0] + (1 - fy) * fx * coarse[y0, x0 + 1]
            + fy * (1 - fx) * coarse[y0 + 1, x0] + fy * fx * coarse[y0 + 1, x0 + 1])


# Azimuth spectrum: zero-Doppler centred, 80 % of the PRF (a 33-tap Hamming-windowed sinc),
# so that Doppler0 has a centroid to find, as in focused StripMap data.
AZIMUTH_BANDWIDTH = 0.8
_TAPS = np.sinc(AZIMUTH_BANDWIDTH * np.arange(-16, 17)) * np.hamming(33)
_TAPS /= np.sqrt(np.sum(_TAPS**2))  # unit noise power after filtering


def _azimuth_band_limited(seed: int, stream: int, first: int, n: int, samples: int) -> np.ndarray:
    """Circular Gaussian noise (unit power) on lines first..first+n-1, low-passed along azimuth.

    Each line's white noise comes from its own seeded generator, so any block of lines
    (with its 16-line halo) is the same whatever the block size: generation streams.
    """
    half = len(_TAPS) // 2
    rows = []
    for line in range(first - half, first + n + half):
        rng = np.random.default_rng([seed, stream, line + 2**31])
        rows.append(rng.standard_normal(samples) + 1j * rng.standard_normal(samples))
    white = np.asarray(rows) / np.sqrt(2)
    out = np.zeros((n, samples), dtype=np.complex128)
    for k, tap in enumerate(_TAPS):
        out += tap * white[k:k + n]
    return out


def _to_cint16_range(z: np.ndarray) -> np.ndarray:
    return np.clip(np.round(z.real), -32768, 32767) + 1j * np.clip(np.round(z.imag), -32768, 32767)


def write_demo_product(out_dir: str | Path, size: tuple[int, int] = (1024, 1024), seed: int = 1,
                       start_time: str = "2016-08-18T14:22:05") -> Path:
    """Write the demo SAFE zip into out_dir; returns its path. Deterministic from seed."""
    size = (int(size[0]), int(size[1]))
    imgs = demo_images(size, start_time)
    pattern = _pattern(size, seed)
    scale = {"VV": 60.0, "VH": 60.0 * 10 ** (-8 / 20)}  # VH ~8 dB below VV

    def blocks(img: SwathImage):
        pol_index = ["VV", "VH"].index(img.polarisation)
        for first in range(0, img.lines, BLOCK_LINES):
            n = min(BLOCK_LINES, img.lines - first)
            amp = scale[img.polarisation] * np.sqrt(_upsample(pattern, first, n, img.samples))
            noise = _azimuth_band_limited(seed, pol_index + 1, first, n, img.samples)
            yield first, _to_cint16_range(amp * noise)

    orbit = imgs[0].absolute_orbit
    relative = relative_orbit(orbit)
    name = product_name(start_time, size)
    return write_safe(Path(out_dir), name, imgs, relative, orbit % 0xFFFFFF, blocks, as_zip=True)
