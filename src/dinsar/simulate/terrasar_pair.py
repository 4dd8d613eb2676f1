"""A simulated TerraSAR-X StripMap SSC pair with known truth (`dinsar simulate --sensor tsx`).

    summary = write_terrasar_pair(out, PairConfig(size=(512, 512)))

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
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, PairConfig
from dinsar.simulate.cosmo_pair import _read_dem
from dinsar.simulate.images import synthesise
from dinsar.simulate.passes import Pass, Scene, scene_from_orbit
from dinsar.simulate.terrasar_scene import (
    MID_RANGE_M,
    PRF_HZ,
    RSF_HZ,
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
GROUND_RANGE_PER_SAMPLE_M = C / (2 * RSF_HZ) / np.sin(np.radians(30.0))  # for the DEM's extent
LINE_GROUND_M = 1.9


def _whole_us(seconds: float) -> float:
    return round(seconds * 1e6) / 1e6


def build_terrasar_scene(cfg: PairConfig, dem_file: Path) -> Scene:
    """The master and slave passes of `cfg` on TerraSAR-X's geometry over the DEM in `dem_file`; every
    pass's first line on a whole microsecond (the XML's precision), the state vectors on whole seconds."""
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    sampler = _read_dem(dem_file)
    height = float(sampler(np.array([target[0]]), np.array([target[1]]))[0])
    if not np.isfinite(height):
        raise ValueError(f"{dem_file}: the DEM does not cover the scene centre {target}")
    ati, fs = 1.0 / PRF_HZ, RSF_HZ
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


def header_of(p: Pass, cfg: PairConfig, centre: tuple[float, float, float]) -> TsxHeader:
    """The annotation of one pass's product: its state vectors and timing, zero Doppler."""
    lines, cols = cfg.size
    sv_utc = p.time(p.sv_t)
    near = p.near_range_time_s
    return complete(TsxHeader(
        mission=MISSION, polarisation=POLARISATION, lines=lines, samples=cols, first_line_utc=p.time(p.first_line_s),
        line_interval_s=p.ati, near_range_time_s=near, range_sampling_rate_hz=p.fs, sv_utc=sv_utc,
        sv_pos=p.sv_pos, sv_vel=p.sv_vel, centre=centre, azimuth_bandwidth_hz=BANDWIDTH_AZ / p.ati,
        range_bandwidth_hz=BANDWIDTH_RG * p.fs, doppler_ref_s=near + (cols - 1) / 2 / p.fs))


def _blocks(tiff: Path, lines: int, cols: int):
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(tiff) as src:
        for first in range(0, lines, COPY_LINES):
            yield src.read(1, window=Window(0, first, cols, min(COPY_LINES, lines - first)))


def write_terrasar_pair(out: str | Path, cfg: PairConfig | None = None) -> dict:
    """Simulate the TerraSAR-X pair of `cfg` into `out`: master/<product>/, slave/<product>/, dem.tif,
    truth/ (los_displacement.tif, offsets.tif, coherence.tif, deformation_phase.tif, height.tif on the
    master's grid; truth.json). Returns the truth summary (also truth/truth.json)."""
    from dinsar.simulate.dem import write_volcano_dem

    cfg = cfg or PairConfig()
    if cfg.stack:
        raise ValueError("simulate.stack: the TerraSAR-X simulator makes a pair only")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines, cols = cfg.size
    target = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    half_m = max(lines * LINE_GROUND_M, cols * GROUND_RANGE_PER_SAMPLE_M) / 2 + 3000.0
    dem_file = write_volcano_dem(out / "dem.tif", half_size_deg=max(0.04, half_m / 110_000.0), centre=target)
    scene = build_terrasar_scene(cfg, dem_file)
    height = float(scene.dem(np.array([target[0]]), np.array([target[1]]))[0])
    headers = {role: header_of(p, cfg, (target[0], target[1], height))
               for role, p in (("master", scene.master), ("slave", scene.slaves[0]))}
    names = {role: product_name(h) for role, h in headers.items()}
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    try:
        result = synthesise(scene, work, [work / "truth"], cross_pol=False)
        for role, key in (("master", "master_vv"), ("slave", "slave0_vv")):
            folder = write_product(work / role, headers[role], _blocks(result["tiffs"][key], lines, cols))
            (out / role).mkdir(exist_ok=True)
            if (out / role / names[role]).exists():
                shutil.rmtree(out / role / names[role])
            os.replace(folder, out / role / names[role])
        days, baseline, dvolume = cfg.slaves()[0]
        m = scene.master
        summary = {
            "sensor": "TerraSAR-X", "mission": MISSION, "mode": "SM", "master": names["master"],
            "slave": names["slave"], "size": list(cfg.size), "seed": cfg.seed, "polarisation": POLARISATION,
            "days": days, "baseline_perp_m": baseline, "look_angle_deg": float(np.degrees(scene.look_angle)),
            "orbit": scene.orbit_source, "wavelength_m": WAVELENGTH_M, "coherence": cfg.coherence,
            "decorrelation": cfg.decorrelation, "snr_db": cfg.snr_db, "atmosphere_rms_rad": cfg.atmosphere_rms_rad,
            "mogi": {**cfg.mogi, "dvolume_m3": dvolume}, "misregistration": cfg.misregistration,
            "slave_shift": {"lines": cfg.slave_shift[0], "samples": cfg.slave_shift[1]},
            "timing": {"line_interval_s": m.ati, "range_sampling_rate_hz": m.fs,
                       "near_range_time_s": m.near_range_time_s, "doppler_centroid_hz": 0.0},
            "bandwidth": {"azimuth": BANDWIDTH_AZ, "range": BANDWIDTH_RG},
            "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; "
                           "offsets: position in the slave image of each master pixel minus the pixel",
            **result["stats"][0],
        }
        (work / "truth" / "truth.json").write_text(json.dumps(summary, indent=1, default=float))
        atomic.replace_dir(work / "truth", out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated TerraSAR-X pair %s / %s in %s", names["master"], names["slave"], out)
    return summary
