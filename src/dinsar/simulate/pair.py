"""A simulated Sentinel-1 StripMap interferometric pair with known truth (`dinsar simulate`).

write_pair orchestrates: the DEM, the scene (dinsar.simulate.scene), its images and truth
(dinsar.simulate.images), then one SAFE product and one EOF per pass with the annotation
computed here, and the truth summary.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from dinsar.io import atomic
from dinsar.io.annotation import GeolocationGrid
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, RADAR_FREQUENCY_HZ, S4_TIMING, PairConfig
from dinsar.simulate.images import synthesise
from dinsar.simulate.naming import absolute_orbit, pair_names, product_names, relative_orbit
from dinsar.simulate.safe_writer import SwathImage
from dinsar.simulate.scene import WAVELENGTH_M, C, DemSampler, Pass, build_scene

# the names callers have always imported from here
__all__ = ["PairConfig", "pair_names", "product_names", "write_pair"]

log = logging.getLogger(__name__)


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
    scene = build_scene(cfg, dem_file)
    master_name, slave_names = product_names(cfg)
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    # a pair's truth is truth/; a stack's, truth/<slave product>/ (relative to the master)
    truth_dirs = [work / "truth"] if not cfg.stack else [work / "truth" / n for n in slave_names]
    try:
        result = synthesise(scene, work, truth_dirs)
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
        atomic.replace_dir(work / "truth", out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated %s and %d slave(s) in %s", master_name, len(slave_names), out)
    return summary
