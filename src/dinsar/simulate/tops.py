"""A simulated Sentinel-1 IW TOPS pair (`write_iw_pair`): two sub-swaths (IW1, IW2) of a few bursts each,
known truth.

    write_iw_pair(out, IwPairConfig(samples=1024, bursts=3))

Each date is one SAFE product as a real IW SLC is: one annotation and one burst-stacked measurement per
sub-swath, the manifest listing both. Real IW timing (dinsar.simulate.tops_timing): bursts every 1342
lines in both sub-swaths; IW2's 1514 lines long (the Azores IW3 annotation's), IW1's 1501 (the Rome IW1
annotation's); IW1's bursts 0.832 s of sensing time before IW2's of the same beam cycle, so each cycle's
IW1 and IW2 bursts share ESA's burst ID; IW1 nearer in range, the two overlapping by 15 % of a
sub-swath, IW2's near range a fraction of a sample (3/7) off IW1's sample grid (tops_config).

The scene (dinsar.simulate.tops_scene) is one continuous zero-Doppler scene of the StripMap simulator's
physics (DEM, Mogi source, baseline, coherence, speckle) over both sub-swaths' range and all bursts'
time, cut into each sub-swath's bursts with its own TOPS carrier (dinsar.simulate.tops_carrier): so a
slave misregistered by δ lines shows the interferometric phase 2π f_ηc(η) δ Δt that Enhanced Spectral
Diversity measures, and two passes whose bursts start a few lines apart stay coherent after deramp →
resample → reramp. The truth (tops_truth) is on that scene's regular grid.

The slave is misregistered along azimuth by `azimuth_error_lines` that its annotation does not show
(an along-track timing error geometry cannot see), the same in both sub-swaths; truth/truth.json
records it. `slave_skip_first_bursts` leaves the slave's first bursts out (a burst list that starts
later than the master's, to be matched by ID).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from dinsar.io import atomic
from dinsar.simulate.naming import absolute_orbit, relative_orbit
from dinsar.simulate.tops_annotation import nominal_anx_s, sensing_s, swath_image
from dinsar.simulate.tops_bursts import burst_cuts
from dinsar.simulate.tops_config import IwPairConfig, layout
from dinsar.simulate.tops_naming import product_names
from dinsar.simulate.tops_scene import build_iw_scene, synthesise
from dinsar.simulate.tops_timing import IW_TIMING, SUBSWATHS
from dinsar.simulate.tops_truth import TRUTH_FILES, grid_tags, summary, write_truth
from dinsar.simulate.tops_writer import mid_bin_anx

# the names callers import from here
__all__ = ["IW_TIMING", "SUBSWATHS", "TRUTH_FILES", "IwPairConfig", "layout", "write_iw_pair"]

log = logging.getLogger(__name__)


def write_iw_pair(out: str | Path, cfg: IwPairConfig | None = None) -> dict:
    """Simulate the IW pair into `out`: master/*.SAFE, slave/*.SAFE (IW1 and IW2 each), orbits/*.EOF,
    dem.tif, truth/ (tops_truth.TRUTH_FILES, truth.json).

    Returns the truth summary (also truth/truth.json)."""
    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.eof_writer import write_eof
    from dinsar.simulate.tops_writer import write_iw_safe

    cfg = cfg or IwPairConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    swaths = layout(cfg)
    dem_file = out / "dem.tif"
    span_lines = max(sw.line_offset + sw.span_lines for sw in swaths)
    strip_m = span_lines * IW_TIMING["azimuth_time_interval_s"] * 7000.0  # ground speed ~7 km/s
    centre = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    write_volcano_dem(dem_file, half_size_deg=max(0.08, (strip_m / 2 + 8000.0) / 110_000.0), centre=centre)
    scene, pc = build_iw_scene(cfg, dem_file, swaths)
    master, slave = scene.master, scene.slaves[0]
    cuts = {"master": burst_cuts(master, swaths), "slave": burst_cuts(slave, swaths, cfg.slave_skip_first_bursts)}
    result = synthesise(scene, pc, cfg, swaths, cuts)
    # the ANX: the master's, moved to put its first IW2 burst mid-bin; the slave's, `days` later on the
    # same orbit tube (its bursts then sit a few ms from the master's in the cycle, as real ones do)
    iw2 = next(sw for sw in swaths if sw.name == "IW2")
    track = relative_orbit(absolute_orbit(master.time(master.first_line_s)))
    anx = mid_bin_anx(sensing_s(master, iw2, 0), track, nominal_anx_s(master, master.first_line_s))
    names = dict(zip(("master", "slave"), product_names(cfg), strict=True))  # the workflow planner's too
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    try:
        products, images = {}, {}
        # anx serves both: each pass counts seconds from its own epoch, the slave's `days` later
        for role, p in (("master", master), ("slave", slave)):
            imgs = [swath_image(p, sw, [c for c in cuts[role] if c.swath is sw], anx, scene.dem,
                                result["bandwidth"]) for sw in swaths]
            images[role] = {img.swath: img for img in imgs}
            products[role] = write_iw_safe(out / role, names[role], imgs, relative_orbit(imgs[0].absolute_orbit),
                                           imgs[0].absolute_orbit % 0xFFFFFF,
                                           [result["images"][role][sw.name] for sw in swaths],
                                           [sw.timing.image_number for sw in swaths])
            write_eof(out / "orbits", p.mission, p.time(p.sv_t), p.sv_pos, p.sv_vel,
                      p.time(p.sv_t[-1]) + np.timedelta64(20, "D"))
        truth_dir = work / "truth"
        truth_dir.mkdir()
        tags = grid_tags(master, swaths)
        write_truth(truth_dir, result["truth"], tags, swaths)
        info = summary(cfg, scene, result, swaths, cuts, images, products, tags)
        (truth_dir / "truth.json").write_text(json.dumps(info, indent=1, default=float))
        atomic.replace_dir(truth_dir, out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated IW pair %s / %s in %s", products["master"].name, products["slave"].name, out)
    return info
