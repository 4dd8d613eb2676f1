"""The IW pair's truth: rasters on one regular zero-Doppler grid covering both sub-swaths and all bursts,
the slave offsets on each master sub-swath's burst-stacked grid, and the summary (truth.json).

The truth grid is the scene's (tops_config): line j at FIRST_LINE_TIME + j·LINE_INTERVAL_S (UTC), column c
at two-way slant range time NEAR_RANGE_TIME_S + c / RANGE_SAMPLING_RATE_HZ, these four values written as
tags on every regular-grid raster and under "grid" in truth.json. FIRST_LINE_TIME is the master's first
IW1 line, NEAR_RANGE_TIME_S the master's IW1 near range: IW1's pixels are grid pixels, IW2's sit a fixed
fraction of a line and of a sample off them (interpolate the truth at a pixel's time and range).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from dinsar.io import raster
from dinsar.simulate.scene import WAVELENGTH_M, Pass, Scene
from dinsar.simulate.tops_config import IwPairConfig, SwathLayout, scene_size
from dinsar.simulate.tops_timing import IW_TIMING, NEAR_RANGE_FRACTION, SUBSWATH_OVERLAP_FRACTION

TRUTH_FILES = {
    "los_displacement.tif": "LOS displacement toward the slave satellite (m) of each grid pixel's ground point",
    "height.tif": "ellipsoidal height (m) of each grid pixel's ground point in the master's geometry",
    "coherence.tif": "coherence of the pair including thermal noise",
    "offsets.tif": "band 1: line in the slave's burst of the same ID - line in the master's burst, band 2: slave "
                   "column - master column (any sub-swath alike), of each grid pixel; with the injected azimuth "
                   "error",
    "offsets_iw1.tif": "offsets.tif on the master IW1 burst-stacked grid (its bursts' lines one after the other)",
    "offsets_iw2.tif": "offsets.tif on the master IW2 burst-stacked grid (interpolated: IW2 is off the grid)",
}


def grid_tags(master: Pass, swaths: tuple[SwathLayout, ...]) -> dict:
    """The truth grid: the master's first IW1 line and near range, IW's line interval and sampling rate."""
    lines, samples = scene_size(swaths)
    return {"FIRST_LINE_TIME": str(master.time(master.first_line_s).astype("M8[ns]")),
            "LINE_INTERVAL_S": float(master.ati), "NEAR_RANGE_TIME_S": float(master.near_range_time_s),
            "RANGE_SAMPLING_RATE_HZ": float(master.fs), "lines": lines, "samples": samples}


def _lerp(a: np.ndarray, start: float, count: int, axis: int) -> np.ndarray:
    """a at start, start + 1, .. start + count - 1 along `axis` (linear between grid nodes)."""
    i0 = int(np.floor(start + 1e-9))
    w = start - i0
    take = np.take(a, np.arange(i0, i0 + count), axis=axis)
    if abs(w) < 1e-9:
        return take
    return (1 - w) * take + w * np.take(a, np.arange(i0 + 1, i0 + count + 1), axis=axis)


def on_swath(a: np.ndarray, sw: SwathLayout) -> np.ndarray:
    """A scene-grid raster (..., lines, cols) on sub-swath sw's burst-stacked grid (all its bursts)."""
    cols = _lerp(a, sw.col_offset, sw.samples, axis=-1)
    return np.concatenate([_lerp(cols, sw.burst_first_line(k), sw.lines_per_burst, axis=-2)
                           for k in range(sw.bursts)], axis=-2)


def write_truth(truth_dir: Path, truth: dict, tags: dict, swaths: tuple[SwathLayout, ...]) -> None:
    """The regular-grid rasters (with the grid's tags) and the per-sub-swath burst-stacked offsets."""
    tiff_tags = {k: str(v) if isinstance(v, str) else repr(v) for k, v in tags.items()
                 if k not in ("lines", "samples")}
    lines, cols = truth["los"].shape
    prof = raster.geotiff_profile(lines, cols, np.float32, compress="zstd", zstd_level=1, predictor=3)
    for name, data in (("los_displacement.tif", truth["los"]), ("height.tif", truth["height"]),
                       ("coherence.tif", truth["coherence"]), ("offsets.tif", truth["offsets"])):
        with rasterio.open(truth_dir / name, "w", **{**prof, "count": 1 if data.ndim == 2 else 2}) as dst:
            dst.write(data[None] if data.ndim == 2 else data)
            dst.update_tags(GRID="regular zero-Doppler grid of both sub-swaths", **tiff_tags)
    for sw in swaths:
        stacked = on_swath(truth["offsets"], sw).astype(np.float32)
        p = raster.geotiff_profile(stacked.shape[1], stacked.shape[2], np.float32, count=2, compress="zstd",
                                   zstd_level=1, predictor=3)
        with rasterio.open(truth_dir / f"offsets_{sw.name.lower()}.tif", "w", **p) as dst:
            dst.write(stacked)
            dst.update_tags(GRID=f"master {sw.name} burst-stacked", SWATH=sw.name)


def _carrier_json(c, b: dict, mid_col: int) -> dict:
    return {"ks_hz_s": c.ks_hz_s, "kt_hz_s_mid_swath": float(c.kt(mid_col)), "ka_hz_s_mid_swath":
            float(c.ka(c.tau(mid_col))), "fdc_hz_mid_swath": float(c.fdc(c.tau(mid_col))),
            "eta_ref_s_mid_swath": float(c.eta_ref(mid_col)), "fm_t0": c.fm_t0, "fm_poly": list(c.fm_poly),
            "dc_t0": c.dc_t0, "dc_poly": list(c.dc_poly), "burst_id": b["burst_id"],
            "azimuth_time": str(b["azimuth_time"]), "sensing_time": str(b["sensing_time"])}


def _swath_json(sw: SwathLayout, cuts: dict, images: dict) -> dict:
    ati = IW_TIMING["azimuth_time_interval_s"]
    lpb, cycle = sw.lines_per_burst, IW_TIMING["burst_cycle_lines"]
    first_line, stop_line, first_col, last_col = sw.valid()
    valid = stop_line - first_line
    out = {
        "source": sw.timing.source, "samples": sw.samples, "lines_per_burst": lpb, "burst_cycle_lines": cycle,
        "steering_rate_deg_s": sw.timing.steering_rate_deg_s, "grid_line_offset": sw.line_offset,
        "grid_col_offset": sw.col_offset, "valid_lines": [first_line, stop_line],
        "valid_samples": [first_col, last_col + 1],
        "overlap": {"lines": lpb - cycle, "seconds": (lpb - cycle) * ati, "fraction_of_burst": (lpb - cycle) / lpb,
                    "valid_lines": valid - cycle, "valid_fraction_of_burst": (valid - cycle) / lpb,
                    "note": "consecutive bursts of a pass share these lines (burst k line j = burst k+1 "
                            "line j - cycle)"},
    }
    for role in ("master", "slave"):
        img = images[role][sw.name]
        mine = [c for c in cuts[role] if c.swath is sw]
        out[role] = {"near_range_time_s": img.slant_range_time_s, "first_line_time": str(img.first_line_time),
                     "bursts": [c.index for c in mine], "burst_ids": [b["burst_id"] for b in img.bursts],
                     "carrier": [_carrier_json(c.carrier, b, sw.samples // 2) for c, b in
                                 zip(mine, img.bursts, strict=True)]}
    return out


def summary(cfg: IwPairConfig, scene: Scene, result: dict, swaths: tuple[SwathLayout, ...], cuts: dict,
            images: dict, products: dict, tags: dict) -> dict:
    ati = IW_TIMING["azimuth_time_interval_s"]
    los = result["truth"]["los"]
    iw1, iw2 = swaths
    return {
        "mode": "IW", "swaths": {sw.name: _swath_json(sw, cuts, images) for sw in swaths},
        "master": products["master"].name, "slave": products["slave"].name,
        "bursts": cfg.bursts, "slave_skip_first_bursts": cfg.slave_skip_first_bursts, "samples": cfg.samples,
        "seed": cfg.seed, "days": cfg.days, "baseline_perp_m": cfg.baseline_m, "coherence": cfg.coherence,
        "snr_db": cfg.snr_db, "mogi": cfg.mogi, "orbit": scene.orbit_source, "wavelength_m": WAVELENGTH_M,
        "expected_coherence": cfg.coherence / (1.0 + result["noise_power"] / result["gain"]),
        "injected_azimuth_error": {"lines": cfg.azimuth_error_lines, "seconds": cfg.azimuth_error_lines * ati,
                                   "note": "slave scatterers focus this many lines later than its annotation "
                                           "and orbit put them, in every sub-swath (in truth offsets too)"},
        "slave_shift": {"lines": cfg.slave_shift[0], "seconds": round(cfg.slave_shift[0] * ati, 6),
                        "samples": cfg.slave_shift[1], "note": "the slave's first line, on whole µs, and near "
                                                               "ranges, both sub-swaths"},
        "subswath_overlap": {
            "samples": iw1.col_offset + iw1.samples - iw2.col_offset, "fraction": SUBSWATH_OVERLAP_FRACTION,
            "near_range_offset_samples": iw2.col_offset - iw1.col_offset,
            "near_range_offset_fraction": NEAR_RANGE_FRACTION,
            "first_line_offset_lines": iw2.line_offset - iw1.line_offset,
            "first_line_offset_s": iw2.first_line_offset_s - iw1.first_line_offset_s,
            "note": "IW2's near range minus IW1's, in samples (not whole: real near ranges step by 1/(7 fs)); "
                    "IW2's first line minus IW1's, in lines (on whole µs)"},
        "timing": IW_TIMING,
        "grid": tags,
        "los_min_m": float(np.nanmin(los)), "los_max_m": float(np.nanmax(los)),
        "truth_files": TRUTH_FILES,
        "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; truth rasters on "
                       "the regular grid of 'grid' (line j at FIRST_LINE_TIME + j LINE_INTERVAL_S, column c at "
                       "NEAR_RANGE_TIME_S + c / RANGE_SAMPLING_RATE_HZ, two-way); offsets_iw*.tif on each "
                       "master sub-swath's burst-stacked grid (overlap pixels appear in both bursts)",
        "carrier_model": "phi = pi kt (eta - eta_ref)^2 + 2 pi fdc (eta - eta_ref), eta = (j - lpb/2) dt, "
                         "kt = ka ks / (ka - ks), ks = 2 v k_psi / lambda, eta_ref = -fdc/ka + fdc(tau0)/ka(tau0); "
                         "data = exp(+j phi(j)) sum_P sigma_P exp(-j phi(j_P)) h(j - j_P)",
    }
