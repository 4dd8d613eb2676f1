"""A simulated TerraSAR-X StripMap or SpotLight SSC pair with known truth (`dinsar simulate --sensor tsx`).

    summary = write_terrasar_pair(out, PairConfig(size=(512, 512)), mode="SM")   # or mode="SL"

writes out/master/<TSX1_SAR__SSC______SM_S_SRA_...>/ and out/slave/<...>/ (level1Product XML + COSAR,
HH, as dinsar.simulate.terrasar_writer writes a delivered product), out/dem.tif (the synthetic volcano,
ellipsoidal heights) and out/truth/ (the StripMap simulator's truth files on the master's full-resolution
grid, and truth.json): the layout of `dinsar simulate`.

The scene is the StripMap simulator's (dinsar.simulate.passes, .images: scatterers on the DEM, coherence
and speckle, thermal noise, a Mogi source, a perpendicular baseline, a known slave misregistration) on
TerraSAR-X's geometry (dinsar.simulate.terrasar_scene): X band at 9.65 GHz, a circular orbit at ~514 km,
3800 Hz lines, 109.89 MHz range sampling, zero Doppler (the images are synthesised at baseband). Each
product carries its own orbit (state vectors every 10 s on whole seconds, ±100 s around its centre).
The XML's times have microseconds, so each pass's first line is put on a whole microsecond.

SpotLight (mode "SL"): SL's sampling (dinsar.simulate.terrasar_scene: 0.91 m slant-range samples, 6500 Hz
lines) and the azimuth carrier of a steered beam on each baseband image: line η, column τ times
exp(+jφ), φ = 2π ∫ f_dc dt from that image's ramp centre t_c, with the centroid

    f_dc(τ, t) = f0 + f1 (τ - τ_c) + k (1 + κ (τ - τ_c)) (t - t_c)

(`spotlight_centroid`). (t_c, τ_c) is where THAT acquisition's data sees the scene centre target (its
zero-Doppler time and range, plus the slave's misregistration there): a Spotlight antenna steers about a
fixed ground point, so both dates' ramps are centred on the same ground, not on the same line or column,
and m · conj(s) is carrier-free once the chain has reramped the slave at its own positions. Each XML's
dopplerEstimate records say exactly that centroid, at RAW (beam-centre) times as TerraSAR-X delivers
them, so the chain finds the carrier from the metadata alone. The truth is the baseband images'.

Nothing here imports the chain (dinsar.sensors, .geometry, .steps, .interferometry, .kernels).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from dinsar.io import atomic
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, PairConfig
from dinsar.simulate.cosmo_pair import _read_dem
from dinsar.simulate.images import synthesise
from dinsar.simulate.passes import Pass, Scene, scene_from_orbit
from dinsar.simulate.terrasar_scene import (
    DOPPLER_ESTIMATES,
    MID_RANGE_M,
    MODE_TIMING,
    SV_HALF_SPAN_S,
    SV_STEP_S,
    WAVELENGTH_M,
    C,
    TsxHeader,
    complete,
    place_orbit,
)
from dinsar.simulate.terrasar_writer import product_name, write_product

log = logging.getLogger(__name__)

MISSION = "TSX-1"
POLARISATION = "HH"
COPY_LINES = 512  # lines of the synthesised image copied into the COSAR at once
SINE_INCIDENCE = np.sin(np.radians(30.0))  # the DEM's extent from the slant-range samples
GROUND_SPEED_M_S = 7_100.0  # the DEM's extent from the line rate
# SpotLight: the centroid spans SWEEP_SPAN_OF_LINE_RATE line rates over the scene (±0.4): a delivered SL or
# HS scene lasts 1-2 s and sweeps a few kHz/s over several kHz; the simulated one lasts ~0.05 s, so it sweeps
# ~100 kHz/s, but spans most of the line rate as a real one does, which is what makes the deramp matter
SWEEP_SPAN_OF_LINE_RATE = 0.8
CENTROID_AT_CENTRE_HZ = 40.0  # f0: a small squint at the scene centre
CENTROID_RANGE_SPAN_HZ = 10.0  # f1 × the swath's range time: the centroid's range variation
SWEEP_RANGE_SPAN = 0.005  # κ × the swath's range time: the sweep's (∝ 1/R), so columns differ measurably
RECORD_RANGES = 17  # range times each combinedDoppler polynomial is fitted over
RECORD_DEGREE = 3


def _whole_us(seconds: float) -> float:
    return round(seconds * 1e6) / 1e6


def _check_mode(mode: str) -> None:
    if mode not in MODE_TIMING:
        raise ValueError(f"mode must be one of {', '.join(MODE_TIMING)}, got {mode}")


def build_terrasar_scene(cfg: PairConfig, dem_file: Path, mode: str = "SM") -> Scene:
    """The master and slave passes of `cfg` on TerraSAR-X's geometry (mode SM or SL timing) over the DEM in
    `dem_file`; every pass's first line on a whole microsecond (the XML's precision), the state vectors on
    whole seconds."""
    _check_mode(mode)
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    sampler = _read_dem(dem_file)
    height = float(sampler(np.array([target[0]]), np.array([target[1]]))[0])
    if not np.isfinite(height):
        raise ValueError(f"{dem_file}: the DEM does not cover the scene centre {target}")
    fs, prf, _ = MODE_TIMING[mode]
    ati = 1.0 / prf
    start = np.datetime64(cfg.start_time, "ns")
    epoch = start.astype("M8[D]").astype("M8[ns]")
    first_line_s = _whole_us(float((start - epoch) / np.timedelta64(1, "ns")) * 1e-9)
    centre_s = first_line_s + (lines - 1) / 2 * ati
    near_range_time = 2.0 * MID_RANGE_M / C - (cols - 1) / 2 / fs
    orbit = place_orbit(target[0], target[1], height)  # t = 0: the scene centre at MID_RANGE_M
    sv_t = np.round(centre_s) + np.arange(-SV_HALF_SPAN_S, SV_HALF_SPAN_S + 0.5 * SV_STEP_S, SV_STEP_S)
    pos, vel = orbit.state(sv_t - centre_s)
    scene = scene_from_orbit(cfg, sampler, target, sv_t, pos, vel, epoch, centre_s, first_line_s, near_range_time,
                             ati, fs, mission=MISSION, wavelength_m=WAVELENGTH_M)
    for s in scene.slaves:
        s.first_line_s = _whole_us(s.first_line_s)
    scene.orbit_source = "analytic circular orbit at TerraSAR-X's altitude (dinsar.simulate.terrasar_scene)"
    return scene


def header_of(p: Pass, cfg: PairConfig, centre: tuple[float, float, float], mode: str = "SM",
              centroid: dict | None = None) -> TsxHeader:
    """The annotation of one pass's product: its state vectors and timing; zero Doppler for StripMap, the
    dopplerEstimate records of `centroid` (spotlight_centroid) for SpotLight."""
    _check_mode(mode)
    lines, cols = cfg.size
    sv_utc = p.time(p.sv_t)
    near = p.near_range_time_s
    h = complete(TsxHeader(
        mission=MISSION, polarisation=POLARISATION, lines=lines, samples=cols, first_line_utc=p.time(p.first_line_s),
        line_interval_s=p.ati, near_range_time_s=near, range_sampling_rate_hz=p.fs, sv_utc=sv_utc,
        sv_pos=p.sv_pos, sv_vel=p.sv_vel, centre=centre, azimuth_bandwidth_hz=BANDWIDTH_AZ / p.ati,
        range_bandwidth_hz=BANDWIDTH_RG * p.fs, doppler_ref_s=near + (cols - 1) / 2 / p.fs, imaging_mode=mode,
        beam=MODE_TIMING[mode][2]))
    if centroid is not None:
        h.doppler_estimates = doppler_records(p, h, centroid)
    return h


def spotlight_centroid(p: Pass, cfg: PairConfig, centre: tuple[float, float, float],
                       shift: tuple[float, float] = (0.0, 0.0)) -> dict:
    """The SpotLight centroid of one pass (module docstring): its ramp centre t_c (s on the pass's time axis)
    and τ_c (two-way, s), where the pass's data sees the scene centre `centre` (lon, lat, h): its zero-Doppler
    time and range, plus `shift` (lines, samples), the slave's misregistration there. The carrier is in the
    data, so it moves with the data's content: a slave misregistered by 0.3 lines has its ramp 0.3 lines
    later too, else m · conj(s) would keep 2π f_dc × 0.3 lines (~0.2 rad at the scene's ends)."""
    lines, cols = cfg.size
    xyz = sg.to_ecef(np.array([centre[0]]), np.array([centre[1]]), np.array([centre[2]]))
    t, r, _ = sg.zero_doppler(p.orbit, xyz, p.first_line_s + (lines - 1) / 2 * p.ati)
    swath_s = (cols - 1) / p.fs
    return {"t_c_s": float(t[0]) + shift[0] * p.ati, "tau_c_s": 2 * float(r[0]) / C + shift[1] / p.fs,
            "f0_hz": CENTROID_AT_CENTRE_HZ, "f1_hz_per_s": CENTROID_RANGE_SPAN_HZ / swath_s,
            "k_hz_per_s": -SWEEP_SPAN_OF_LINE_RATE / (lines * p.ati * p.ati), "kappa_per_s": SWEEP_RANGE_SPAN / swath_s}


def centroid_hz(c: dict, tau, t) -> np.ndarray:
    """f_dc(τ, t) of spotlight_centroid's `c` (t on the pass's time axis)."""
    dtau = np.asarray(tau, dtype=np.float64) - c["tau_c_s"]
    return c["f0_hz"] + c["f1_hz_per_s"] * dtau + sweep_hz_s(c, tau) * (np.asarray(t, dtype=np.float64) - c["t_c_s"])


def sweep_hz_s(c: dict, tau) -> np.ndarray:
    """d f_dc / dt (Hz/s) at two-way range times τ."""
    return c["k_hz_per_s"] * (1 + c["kappa_per_s"] * (np.asarray(tau, dtype=np.float64) - c["tau_c_s"]))


def carrier(c: dict, p: Pass, first: int, n: int, cols: int) -> np.ndarray:
    """exp(+jφ) on lines first .. first + n - 1, φ = 2π ∫ f_dc dt from t_c (float64 until the exponential:
    φ reaches ~10² rad at the scene's ends)."""
    u = p.first_line_s + (first + np.arange(n))[:, None] * p.ati - c["t_c_s"]
    tau = p.near_range_time_s + np.arange(cols)[None, :] / p.fs
    a = c["f0_hz"] + c["f1_hz_per_s"] * (tau - c["tau_c_s"])
    return np.exp(1j * (2 * np.pi * a * u + np.pi * sweep_hz_s(c, tau) * u * u))


def doppler_records(p: Pass, h: TsxHeader, c: dict) -> tuple:
    """DOPPLER_ESTIMATES dopplerEstimate records (timeUTC, combinedDoppler about h.doppler_ref_s) that say
    `c` exactly, as TerraSAR-X writes them: at RAW times (dopplerCentroidCoordinateType RAW), the
    beam-centre time t_r of zero-Doppler times spread over the scene, so a record's range polynomial
    holds the centroid of the samples whose zero-Doppler time is t_r - f(τ) / f_rate(τ), with h's FM
    rate polynomial: f(τ) = (a(τ) + k(τ) (t_r - t_c)) / (1 + k(τ) / f_rate(τ)), fitted over the swath.
    t_r is put on whole microseconds (the XML's precision) before the polynomial is made for it."""
    mid = h.doppler_ref_s
    tau = np.linspace(h.near_range_time_s, h.far_range_time_s, RECORD_RANGES)
    fm = np.polynomial.polynomial.polyval(tau - mid, h.fm_rate_coefficients)
    fm_mid = float(np.polynomial.polynomial.polyval(0.0, h.fm_rate_coefficients))
    records = []
    for line in np.linspace(0, h.lines - 1, DOPPLER_ESTIMATES):
        t_zd = p.first_line_s + line * p.ati
        t_raw = _whole_us(t_zd + float(centroid_hz(c, mid, t_zd)) / fm_mid)
        k = sweep_hz_s(c, tau)
        a = c["f0_hz"] + c["f1_hz_per_s"] * (tau - c["tau_c_s"])
        f = (a + k * (t_raw - c["t_c_s"])) / (1 + k / fm)
        coefficients = np.polynomial.polynomial.polyfit(tau - mid, f, RECORD_DEGREE)
        records.append((p.time(t_raw), tuple(float(v) for v in coefficients)))
    return tuple(records)


def _blocks(tiff: Path, lines: int, cols: int, p: Pass, centroid: dict | None):
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(tiff) as src:
        for first in range(0, lines, COPY_LINES):
            n = min(COPY_LINES, lines - first)
            block = src.read(1, window=Window(0, first, cols, n))
            yield block if centroid is None else block * carrier(centroid, p, first, n, cols)


def write_terrasar_pair(out: str | Path, cfg: PairConfig | None = None, mode: str = "SM") -> dict:
    """Simulate the TerraSAR-X pair of `cfg` (mode SM: StripMap, SL: SpotLight) into `out`: master/<product>/,
    slave/<product>/, dem.tif, truth/ (los_displacement.tif, offsets.tif, coherence.tif,
    deformation_phase.tif, height.tif on the master's grid; truth.json). Returns the truth summary (also
    truth/truth.json; for SL with each image's centroid, `spotlight`)."""
    from dinsar.simulate.dem import write_volcano_dem

    _check_mode(mode)
    cfg = cfg or PairConfig()
    if cfg.stack:
        raise ValueError("simulate.stack: the TerraSAR-X simulator makes a pair only")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    fs, prf, _ = MODE_TIMING[mode]
    half_m = max(lines * GROUND_SPEED_M_S / prf, cols * C / (2 * fs) / SINE_INCIDENCE) / 2 + 3000.0
    dem_file = write_volcano_dem(out / "dem.tif", half_size_deg=max(0.04, half_m / 110_000.0), centre=target)
    scene = build_terrasar_scene(cfg, dem_file, mode)
    height = float(scene.dem(np.array([target[0]]), np.array([target[1]]))[0])
    centre = (target[0], target[1], height)
    passes = {"master": scene.master, "slave": scene.slaves[0]}
    # the misregistration's gradients (~1e-5 px per px) move the content against the ramp by < 0.01 px over
    # the scene: < 0.03 rad at its ends, where the centroid is largest
    shift = scene.misregistration((lines - 1) / 2, (cols - 1) / 2)
    centroids = {role: None if mode == "SM" else
                 spotlight_centroid(p, cfg, centre, (0.0, 0.0) if role == "master" else shift)
                 for role, p in passes.items()}
    headers = {role: header_of(p, cfg, centre, mode, centroids[role]) for role, p in passes.items()}
    names = {role: product_name(h) for role, h in headers.items()}
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    try:
        result = synthesise(scene, work, [work / "truth"], cross_pol=False)
        for role, key in (("master", "master_vv"), ("slave", "slave0_vv")):
            folder = write_product(work / role, headers[role],
                                   _blocks(result["tiffs"][key], lines, cols, passes[role], centroids[role]))
            (out / role).mkdir(exist_ok=True)
            if (out / role / names[role]).exists():
                shutil.rmtree(out / role / names[role])
            os.replace(folder, out / role / names[role])
        days, baseline, dvolume = cfg.slaves()[0]
        m = scene.master
        summary = {
            "sensor": "TerraSAR-X", "mission": MISSION, "mode": mode, "master": names["master"],
            "slave": names["slave"], "size": list(cfg.size), "seed": cfg.seed, "polarisation": POLARISATION,
            "days": days, "baseline_perp_m": baseline, "look_angle_deg": float(np.degrees(scene.look_angle)),
            "orbit": scene.orbit_source, "wavelength_m": WAVELENGTH_M, "coherence": cfg.coherence,
            "decorrelation": cfg.decorrelation, "snr_db": cfg.snr_db, "atmosphere_rms_rad": cfg.atmosphere_rms_rad,
            "mogi": {**cfg.mogi, "dvolume_m3": dvolume}, "misregistration": cfg.misregistration,
            "slave_shift": {"lines": cfg.slave_shift[0], "samples": cfg.slave_shift[1]},
            "timing": {"line_interval_s": m.ati, "range_sampling_rate_hz": m.fs,
                       "near_range_time_s": m.near_range_time_s,
                       "doppler_centroid_hz": 0.0 if mode == "SM" else CENTROID_AT_CENTRE_HZ},  # at the ramp centre
            "bandwidth": {"azimuth": BANDWIDTH_AZ, "range": BANDWIDTH_RG},
            "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; "
                           "offsets: position in the slave image of each master pixel minus the pixel",
            **result["stats"][0],
        }
        if mode != "SM":  # each image's centroid, its ramp centre also as a line and sample of its own grid
            summary["azimuth_sweep_hz_s"] = centroids["master"]["k_hz_per_s"]
            summary["spotlight"] = {role: {**c, "ramp_centre_line": (c["t_c_s"] - passes[role].first_line_s) * prf,
                                           "ramp_centre_sample": (c["tau_c_s"] - passes[role].near_range_time_s) * fs,
                                           "first_line_s": passes[role].first_line_s}
                                    for role, c in centroids.items()}
        (work / "truth" / "truth.json").write_text(json.dumps(summary, indent=1, default=float))
        atomic.replace_dir(work / "truth", out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated TerraSAR-X %s pair %s / %s in %s", mode, names["master"], names["slave"], out)
    return summary
