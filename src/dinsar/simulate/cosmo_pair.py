"""A simulated COSMO-SkyMed StripMap or Spotlight pair with known truth (`dinsar simulate --sensor csk|csg
[--mode SPOT]`).

    summary = write_cosmo_pair(out, PairConfig(size=(1024, 1024)), generation=1, mode="HIMAGE")

writes out/master/<name>.h5 and out/slave/<name>.h5 (SCS_B, CSK HIMAGE or CSG STRIPMAP, HH, int16 I/Q,
every attribute as dinsar.simulate.cosmo_writer writes a real product's: names, places, types),
out/dem.tif (the synthetic volcano, ellipsoidal heights) and out/truth/ (the Sentinel-1 simulator's
truth files on the master's full-resolution grid, and truth.json), the layout of `dinsar simulate`.

The scene is the StripMap simulator's (dinsar.simulate.passes, .images: scatterers on the DEM,
intensity by local incidence, coherence and speckle, thermal noise, a Mogi source moving the ground,
a perpendicular baseline, a known slave misregistration), on COSMO-SkyMed's geometry (dinsar.simulate.
cosmo_scene): X band (0.031228 m), a circular orbit at ~620 km placed so that the scene centre is seen
at 700 km slant range, 3 m slant-range samples (50 MHz), 2290 Hz lines (~3 m on the ground), 80 % / 85 %
processed bandwidths, zero Doppler (the centroid 0 Hz, as the images are synthesised at baseband).

Spotlight (mode SPOTLIGHT: CSK ENHANCED SPOTLIGHT, CSG SPOTLIGHT-2A): 1 m slant-range samples (150 MHz) and
6870 Hz lines (~1 m on the ground), and the azimuth carrier of a steered beam on each baseband image: line
η times exp(+jπ k (η - η_c)²), the centroid k (η - η_c) sweeping by SPOTLIGHT_SPAN_OF_PRF of the line rate
over the scene. η_c is the time at which THAT pass sees the scene centre: a Spotlight antenna steers about
a fixed ground point, so both dates' ramps are centred on the same ground, not on the same line (the
slave's lines are shifted). Each file's Doppler polynomials say exactly that centroid, so the chain finds
the carrier from the metadata alone. Each
file carries its own orbit (state vectors every 5 s, ±60 s around its middle line, `Reference UTC` the
midnight of its day): COSMO-SkyMed has no orbit files.

Nothing here imports the chain (dinsar.sensors, .geometry, .steps, .interferometry, .kernels): the
reader and the chain are checked against it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np

from dinsar.io import atomic
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, PairConfig
from dinsar.simulate.cosmo_scene import (
    MID_RANGE_M,
    PIXEL_M,
    PRF_HZ,
    SV_HALF_SPAN_S,
    SV_STEP_S,
    WAVELENGTH_M,
    C,
    CosmoConfig,
    CosmoScene,
    place_orbit,
    radar_scene,
)
from dinsar.simulate.cosmo_writer import product_name, write_header, write_lines
from dinsar.simulate.images import synthesise
from dinsar.simulate.passes import DemSampler, Pass, Scene, scene_from_orbit

log = logging.getLogger(__name__)

SATELLITE = {1: "CSKS2", 2: "CSG1"}  # the `Satellite ID` cosmo_writer writes
POLARISATION = "HH"
COPY_LINES = 512  # lines of the synthesised image copied into the HDF5 file at once
SINE_INCIDENCE = np.sin(np.radians(28.0))  # ~30° incidence: the DEM's extent from the slant-range samples
# (slant-range sample m, line rate Hz) per mode: StripMap ~3 m; Spotlight ~1 m (CSK ES: 0.7-1 m, 6-10 kHz)
SPACING = {"HIMAGE": (PIXEL_M, PRF_HZ), "SPOTLIGHT": (1.0, 6870.0)}
# the Spotlight centroid's span over the scene, in line rates: a real Spotlight scene's is one to a few (the
# processed azimuth bandwidth over the beam's), over ~1-2 s, so a few kHz/s; the small simulated scene is
# ~0.1 s long, so it sweeps faster, but spans as much: what makes the deramp matter (the local spectrum wraps)
SPOTLIGHT_SPAN_OF_PRF = 1.5


def _read_dem(path: Path) -> DemSampler:
    """The simulator's DEM (EPSG:4979: ellipsoidal heights, no datum to convert) as a bilinear sampler."""
    import rasterio

    with rasterio.open(path) as src:
        height = src.read(1).astype(np.float64)
        if src.nodata is not None:
            height[height == src.nodata] = np.nan
        return DemSampler(SimpleNamespace(crs=src.crs, transform=src.transform, height=height))


def _seconds_of_day(t: np.datetime64) -> tuple[np.datetime64, float]:
    """(midnight of t's day, seconds since it): a COSMO-SkyMed file's `Reference UTC` and its times."""
    t = np.datetime64(t, "ns")
    midnight = t.astype("M8[D]").astype("M8[ns]")
    return midnight, float((t - midnight) / np.timedelta64(1, "ns")) * 1e-9


def _check_mode(mode: str) -> None:
    if mode not in SPACING:
        raise ValueError(f"mode must be one of {', '.join(SPACING)}, got {mode}")


def sweep_hz_s(cfg: PairConfig, mode: str) -> float:
    """d f_dc / dt of the pair's images: 0 for StripMap; for Spotlight negative (the beam steers backward)
    and spanning SPOTLIGHT_SPAN_OF_PRF of the line rate over the scene's lines."""
    if mode != "SPOTLIGHT":
        return 0.0
    prf = SPACING[mode][1]
    return -SPOTLIGHT_SPAN_OF_PRF * prf * prf / cfg.size[0]


def build_cosmo_scene(cfg: PairConfig, dem_file: Path, generation: int = 1, mode: str = "HIMAGE") -> Scene:
    """The master and slave passes of `cfg` on COSMO-SkyMed's geometry over the DEM in `dem_file`."""
    _check_mode(mode)
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    sampler = _read_dem(dem_file)
    height = float(sampler(np.array([target[0]]), np.array([target[1]]))[0])
    if not np.isfinite(height):
        raise ValueError(f"{dem_file}: the DEM does not cover the scene centre {target}")
    pixel_m, prf = SPACING[mode]
    ati, fs = 1.0 / prf, C / (2.0 * pixel_m)
    epoch, first_line_s = _seconds_of_day(np.datetime64(cfg.start_time, "ns"))
    centre_s = first_line_s + (lines - 1) / 2 * ati
    near_range_time = 2.0 * MID_RANGE_M / C - (cols - 1) / 2 / fs
    orbit = place_orbit(target[0], target[1], height)  # t = 0: the scene centre at MID_RANGE_M
    t_rel = np.arange(-SV_HALF_SPAN_S, SV_HALF_SPAN_S + 0.5 * SV_STEP_S, SV_STEP_S)
    pos, vel = orbit.state(t_rel)
    scene = scene_from_orbit(cfg, sampler, target, t_rel + centre_s, pos, vel, epoch, centre_s, first_line_s,
                             near_range_time, ati, fs, mission=SATELLITE[generation], wavelength_m=WAVELENGTH_M)
    scene.orbit_source = "analytic circular orbit at COSMO-SkyMed's altitude (dinsar.simulate.cosmo_scene)"
    return scene


def _radar_scene(p: Pass, cfg: PairConfig, generation: int, centre: tuple[float, float, float],
                 mode: str = "HIMAGE", shift_lines: float = 0.0) -> CosmoScene:
    """The header of one pass's product: its orbit (the pass's state vectors, accelerations from its
    polynomial) and timing; zero Doppler for StripMap; for Spotlight the centroid sweep_hz_s × (t - t_c)
    (t_c is its Doppler polynomials' azimuth reference time): t_c when this pass sees the scene centre,
    plus `shift_lines` lines, the misregistration there. The carrier is in the data, so it moves with the
    data's content: a slave misregistered by 0.3 lines has its ramp centred 0.3 lines later too, and the
    slave's annotation describes its data (else m · conj(s) would keep 2π f_dc × 0.3 lines: ~0.8 rad at
    the scene's ends)."""
    lines, cols = cfg.size
    ccfg = CosmoConfig(generation=generation, mode=mode, lines=lines, samples=cols, polarisation=POLARISATION,
                       dtype="int16", centre=centre, targets=(), seed=cfg.seed)
    header = radar_scene(ccfg, p.epoch, p.sv_t, p.sv_pos, p.sv_vel, p.orbit.acceleration(p.sv_t), p.first_line_s,
                         p.ati, p.near_range_time_s, 1.0 / p.fs, (0.0, 0.0, sweep_hz_s(cfg, mode)))
    if mode == "SPOTLIGHT":
        centre_xyz = sg.to_ecef(np.array([centre[0]]), np.array([centre[1]]), np.array([centre[2]]))
        t_c, _, _ = sg.zero_doppler(p.orbit, centre_xyz, header.doppler_ref[1])
        header = dataclasses.replace(header, doppler_ref=(header.doppler_ref[0],
                                                          float(t_c[0]) + shift_lines * p.ati))
    return header


def _carrier(header: CosmoScene, first: int, n: int) -> np.ndarray:
    """exp(+jφ) of lines first .. first + n - 1, φ = 2π ∫ f_dc dt from t_c: π k (t - t_c)² (the centroid
    is 0 at t_c and has no range term here); ones for StripMap."""
    k = header.doppler[2]
    t = header.first_line_s + (first + np.arange(n)) * header.line_interval_s - header.doppler_ref[1]
    return np.exp(1j * np.pi * k * t * t)[:, None]


def _write_h5(dst: Path, header: CosmoScene, tiff: Path) -> None:
    """The product: header attributes, then the synthesised samples by blocks of lines (with the
    Spotlight carrier)."""
    import rasterio
    from rasterio.windows import Window

    lines, cols = header.cfg.lines, header.cfg.samples
    with rasterio.open(tiff) as src, h5py.File(dst, "w") as f:
        ds = write_header(f, header)
        for first in range(0, lines, COPY_LINES):
            n = min(COPY_LINES, lines - first)
            block = src.read(1, window=Window(0, first, cols, n))
            if header.doppler[2]:
                block = block * _carrier(header, first, n)
            write_lines(ds, header, first, block)


def write_cosmo_pair(out: str | Path, cfg: PairConfig | None = None, generation: int = 1,
                     mode: str = "HIMAGE") -> dict:
    """Simulate the COSMO-SkyMed pair (or stack, cfg.stack) of `cfg` (generation 1: CSK, 2: CSG; mode HIMAGE:
    StripMap, SPOTLIGHT) into `out`: master/<name>.h5, slave/<name>.h5 (one per slave), dem.tif, truth/
    (los_displacement.tif, offsets.tif, coherence.tif, deformation_phase.tif, height.tif on the master's
    grid; truth.json; a stack: truth/<slave name>/ for each slave, as the Sentinel-1 simulator's).

    Returns the truth summary (also truth/truth.json)."""
    from dinsar.simulate.dem import write_volcano_dem

    cfg = cfg or PairConfig()
    _check_mode(mode)
    if generation not in SATELLITE:
        raise ValueError(f"generation must be 1 (CSK) or 2 (CSG), got {generation}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    pixel_m = SPACING[mode][0]
    half_m = max(lines * pixel_m, cols * pixel_m / SINE_INCIDENCE) / 2 + 3000.0
    dem_file = write_volcano_dem(out / "dem.tif", half_size_deg=max(0.04, half_m / 110_000.0), centre=target)
    scene = build_cosmo_scene(cfg, dem_file, generation, mode)
    height = float(scene.dem(np.array([target[0]]), np.array([target[1]]))[0])
    # the misregistration's gradients (~1e-5 px per px) move the content against the ramp by < 0.01 px over
    # the scene: < 0.03 rad at its ends, where the centroid is largest
    shift = scene.misregistration((lines - 1) / 2, (cols - 1) / 2)[0]
    centre = (target[0], target[1], height)
    # (folder, synthesised image key, header) of each product, the master first
    passes = [("master", "master_vv", _radar_scene(scene.master, cfg, generation, centre, mode))]
    passes += [("slave", f"slave{k}_vv", _radar_scene(p, cfg, generation, centre, mode, shift))
               for k, p in enumerate(scene.slaves)]
    names = [product_name(h) for _, _, h in passes]
    stems = [Path(n).stem for n in names[1:]]
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    truth_dirs = [work / "truth"] if not cfg.stack else [work / "truth" / stem for stem in stems]
    try:
        result = synthesise(scene, work, truth_dirs, cross_pol=False)
        for (folder, key, header), name in zip(passes, names, strict=True):
            tmp = work / name
            _write_h5(tmp, header, result["tiffs"][key])
            (out / folder).mkdir(exist_ok=True)
            os.replace(tmp, out / folder / name)
        m = scene.master
        common = {
            "sensor": "COSMO-SkyMed", "generation": generation,
            "mode": "Spotlight" if mode == "SPOTLIGHT" else "StripMap",
            "azimuth_sweep_hz_s": sweep_hz_s(cfg, mode),
            "ramp_centre_s": {name: h.doppler_ref[1] for (_, _, h), name in zip(passes, names, strict=True)},
            "master": names[0], "size": list(cfg.size), "seed": cfg.seed, "polarisation": POLARISATION,
            "look_angle_deg": float(np.degrees(scene.look_angle)), "orbit": scene.orbit_source,
            "wavelength_m": WAVELENGTH_M, "coherence": cfg.coherence, "decorrelation": cfg.decorrelation,
            "snr_db": cfg.snr_db, "atmosphere_rms_rad": cfg.atmosphere_rms_rad,
            "misregistration": cfg.misregistration,
            "slave_shift": {"lines": cfg.slave_shift[0], "samples": cfg.slave_shift[1]},
            "timing": {"line_interval_s": m.ati, "range_sampling_rate_hz": m.fs,
                       "near_range_time_s": m.near_range_time_s, "doppler_centroid_hz": 0.0},
            "bandwidth": {"azimuth": BANDWIDTH_AZ, "range": BANDWIDTH_RG},
            "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; "
                           "offsets: position in the slave image of each master pixel minus the pixel",
        }
        summaries = []
        for k, ((days, baseline, dvolume), name) in enumerate(zip(cfg.slaves(), names[1:], strict=True)):
            summaries.append({**common, "slave": name, "days": days, "baseline_perp_m": baseline,
                              "mogi": {**cfg.mogi, "dvolume_m3": dvolume}, **result["stats"][k]})
            (truth_dirs[k] / "truth.json").write_text(json.dumps(summaries[-1], indent=1, default=float))
        summary = summaries[0]
        if cfg.stack:
            summary = {**common, "slaves": names[1:], "pairs": {n: f"truth/{st}" for n, st in zip(names[1:], stems,
                                                                                                 strict=True)},
                       "coherence_between_slaves": summaries[0]["expected_coherence"] * cfg.coherence}
            (work / "truth" / "truth.json").write_text(json.dumps(summary, indent=1, default=float))
        atomic.replace_dir(work / "truth", out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated COSMO-SkyMed %s and %d slave(s) in %s", names[0], len(names) - 1, out)
    return summary
