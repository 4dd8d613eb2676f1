"""The pair's images: measurement TIFFs and truth rasters, streamed by blocks of scatterers.

Content: one scatterer per master pixel (and a margin) on the DEM surface, with circular Gaussian
reflectivity correlated between passes at the configured coherence, intensity ∝ cot(local
incidence) (the SAR simulation's law), the exact two-way range phase of each pass, a Mogi source
moving the ground between passes, an optional turbulent phase screen, thermal noise, and a known
misregistration of the slave on top of the geometric offsets. Both SLCs are the scatterer field
convolved with a band-limited impulse response.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio

from dinsar.io import raster
from dinsar.logs import progress
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, DN_SCALE, PairConfig
from dinsar.simulate.passes import C, Scene
from dinsar.simulate.synthesis import convolve_grid, power_gain, splat

log = logging.getLogger(__name__)

BLOCK_SCATTERERS = 1 << 19  # scatterers computed at once: bounds memory whatever the scene size


TRUTH_FILES = {
    "los_displacement.tif": "LOS displacement toward the slave satellite (m), master grid",
    "offsets.tif": "slave line - master line, slave column - master column (m grid; total, with the "
                   "misregistration)",
    "coherence.tif": "coherence of the pair including thermal noise",
    "deformation_phase.tif": "band 1 unwrapped, band 2 wrapped deformation phase (rad) = -4 pi d / lambda",
    "height.tif": "ellipsoidal height of each master pixel's ground point (m)",
    "atmosphere_phase.tif": "with atmosphere_rms_rad > 0: the turbulent screen's part of the interferogram "
                            "phase (rad), m·conj(s) convention",
    "note": "NaN where the ground point is not unique (layover): such scatterers return nothing",
}


def _streams(k: int) -> dict[str, int]:
    """Random generator streams of slave k: reflectivity change (vv), VH speckle, thermal noise (vv, vh).
    Slave 0 keeps the pair's streams, so a one-slave stack is the pair."""
    if k == 0:
        return {"change": 2, "vh": 4, "noise_vv": 6, "noise_vh": 8}
    return {"change": 100 + 4 * k, "vh": 101 + 4 * k, "noise_vv": 102 + 4 * k, "noise_vh": 103 + 4 * k}


def _cint16(z: np.ndarray) -> np.ndarray:
    return np.clip(np.round(z.real), -32768, 32767) + 1j * np.clip(np.round(z.imag), -32768, 32767)


class _Rolling:
    """The output lines a run of scatterer blocks is still adding to. Each scatterer is computed once:
    block [a, e) adds to lines [a - margin, e + margin); lines below e - margin are then final."""

    def __init__(self, keys, cols: int, margin: int):
        self.cols, self.margin = cols, margin
        self.first = -2 * margin
        self.acc = {k: np.zeros((0, cols), dtype=np.complex128) for k in keys}

    def extend(self, a: int, e: int) -> int:
        """Make room for scatterer lines a..e-1; returns the first output line of the buffers."""
        lo, hi = a - self.margin, e + self.margin
        for k, old in self.acc.items():
            new = np.zeros((hi - lo, self.cols), dtype=np.complex128)
            keep = old[lo - self.first:]
            new[:len(keep)] = keep
            self.acc[k] = new
        self.first = lo
        return lo

    def final(self, e: int, lines: int):
        """(first, n, {key: lines}) that no later scatterer block reaches."""
        lo, hi = max(self.first, 0), min(e - self.margin, lines)
        return lo, max(0, hi - lo), {k: v[lo - self.first:hi - self.first] for k, v in self.acc.items()}


def synthesise(scene: Scene, out: Path, truth_dirs: list[Path], cross_pol: bool = True) -> dict:
    """Write the measurement TIFFs (master and each slave, VV and VH; VV alone without `cross_pol`) and
    each slave's truth rasters (into truth_dirs[k]) by blocks of scatterer lines, each computed once."""
    cfg = scene.cfg
    lines, cols = cfg.size
    m = scene.margin
    gain = power_gain(BANDWIDTH_AZ, BANDWIDTH_RG)
    noise_power = gain / 10 ** (cfg.snr_db / 10) if cfg.snr_db is not None else 0.0
    gamma = float(cfg.coherence)
    coherence = gamma / (1.0 + noise_power / gain)
    block_lines = max(8, BLOCK_SCATTERERS // (cols + 2 * m))
    sc_cols = np.arange(-m, cols + m)
    n_slaves = len(scene.slaves)
    pols = ("vv", "vh") if cross_pol else ("vv",)
    keys = [f"master_{pol}" for pol in pols] + [f"slave{k}_{pol}" for k in range(n_slaves) for pol in pols]
    noise_stream = {"master_vv": 5, "master_vh": 7}
    noise_stream.update({f"slave{k}_{pol}": _streams(k)[f"noise_{pol}"] for k in range(n_slaves)
                         for pol in ("vv", "vh")})
    tiffs = {k: out / f"{k}.tiff" for k in keys}
    # measurement: striped CInt16 as in real products (BigTIFF only past 4 GiB)
    cint = dict(driver="GTiff", height=lines, width=cols, count=1, dtype="complex_int16", tiled=False,
                blockysize=1, BIGTIFF="IF_SAFER")
    # truth: smooth fields, compressed losslessly (at full size they would be ~28 GB raw)
    prof = raster.geotiff_profile(lines, cols, np.float32, compress="zstd", zstd_level=1, predictor=3,
                                  num_threads=2)
    w = {k: rasterio.open(p, "w", **cint) for k, p in tiffs.items()}
    tw = []
    for truth in truth_dirs:
        truth.mkdir(parents=True, exist_ok=True)
        names = [n for n in TRUTH_FILES if n.endswith(".tif") and (n != "atmosphere_phase.tif" or scene.aps)]
        tw.append({name: rasterio.open(truth / name, "w", **{**prof, "count": 2 if name in (
            "offsets.tif", "deformation_phase.tif") else 1}) for name in names})
    stats = [{"los_min_m": np.inf, "los_max_m": -np.inf, "unresolved_pixels": 0} for _ in range(n_slaves)]
    range_check = 0.0
    prev, prev_lines = None, None
    rolling = _Rolling(keys, cols, m)
    try:
        for a in progress(range(-m, lines + m, block_lines), "simulated images", log):
            e = min(a + block_lines, lines + m)
            sc_lines = np.arange(a, e)
            if prev is None:
                t = scene.master.first_line_s + sc_lines[:, None] * scene.master.ati + 0 * sc_cols[None, :]
                r = (scene.master.near_range_time_s + sc_cols[None, :] / scene.master.fs) * C / 2 + 0 * t
                lon0, lat0 = scene.start(t, r)
            else:  # the previous block's last lines, extrapolated
                lon0, lat0 = _guess_from(prev_lines, prev["lon"], prev["lat"], sc_lines)
            b = _block_in_threads(scene, sc_lines, sc_cols, lon0, lat0)
            prev, prev_lines = b, sc_lines
            range_check = max(range_check, float(np.nanmax(np.abs(b["r_check"] - b["r_m"])[b["ok"]], initial=0.0)))
            g = _coherence_map(cfg, b["lon"], b["lat"])
            first = rolling.extend(a, e)
            _add_block(scene, b, g, sc_lines, rolling.acc, first)
            first_out, n, done = rolling.final(e, lines)
            if n:
                window = ((first_out, first_out + n), (0, cols))
                for key, img in done.items():
                    if noise_power > 0:
                        img = img + np.sqrt(noise_power) * _per_line_normals(
                            cfg.seed, noise_stream[key], np.arange(first_out, first_out + n), cols)
                    w[key].write(_cint16(DN_SCALE * img), 1, window=window)
            # truth on the master pixels of this block
            rows = slice(max(0, -a), min(e, lines) - a)
            if rows.stop <= rows.start:
                continue
            window = ((a + rows.start, a + rows.stop), (0, cols))
            inner = (rows, slice(m, m + cols))
            ll, cc = np.meshgrid(sc_lines[rows].astype(float), np.arange(cols, dtype=float), indexing="ij")
            ok = b["ok"][inner]
            for k in range(n_slaves):
                stats[k]["unresolved_pixels"] += int((~ok).sum())
                d = np.where(ok, b["d_los"][k][inner], np.nan)
                phase = -4 * np.pi * d / scene.wavelength_m
                offsets = np.stack([b["line_s"][k][inner] - ll, b["col_s"][k][inner] - cc])
                offsets = np.where(ok, offsets, np.nan)
                tw[k]["los_displacement.tif"].write(d.astype(np.float32), 1, window=window)
                tw[k]["offsets.tif"].write(offsets.astype(np.float32), window=window)
                tw[k]["coherence.tif"].write((g[inner] / (1.0 + noise_power / gain)).astype(np.float32), 1,
                                             window=window)
                wrapped = np.angle(np.exp(1j * phase))
                tw[k]["deformation_phase.tif"].write(np.stack([phase, wrapped]).astype(np.float32), window=window)
                tw[k]["height.tif"].write(b["h"][inner].astype(np.float32), 1, window=window)
                if b["aps"]:  # the slave's extra phase enters m·conj(s) with the opposite sign
                    tw[k]["atmosphere_phase.tif"].write(-b["aps"][k][inner].astype(np.float32), 1, window=window)
                stats[k]["los_min_m"] = min(stats[k]["los_min_m"], float(np.nanmin(d, initial=np.inf)))
                stats[k]["los_max_m"] = max(stats[k]["los_max_m"], float(np.nanmax(d, initial=-np.inf)))
    finally:
        for f in list(w.values()) + [f for t in tw for f in t.values()]:
            f.close()
    for st in stats:
        st.update(range_check_max_m=range_check, expected_coherence=coherence, truth_files=TRUTH_FILES)
    return {"tiffs": tiffs, "stats": stats}


def _block_in_threads(scene: Scene, sc_lines, sc_cols, lon0, lat0, parts: int | None = None) -> dict:
    """Scene.block on column strips in threads (numpy releases the GIL in its array loops), joined;
    as many strips as the step's threads (numba's setting, which the rule's `threads` sets)."""
    import numba

    parts = parts or min(numba.get_num_threads(), 8)
    if parts == 1 or len(sc_cols) < 64 * parts:
        return scene.block(sc_lines, sc_cols, lon0, lat0)
    edges = np.linspace(0, len(sc_cols), parts + 1).round().astype(int)
    strips = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(lambda c: scene.block(sc_lines, sc_cols[c], lon0[:, c], lat0[:, c]), strips))
    return {k: ([np.concatenate([d[k][i] for d in done], axis=1) for i in range(len(v))] if isinstance(v, list)
                else np.concatenate([d[k] for d in done], axis=1)) for k, v in done[0].items()}


def _add_block(scene: Scene, b: dict, g: np.ndarray, sc_lines: np.ndarray, acc: dict, first: int) -> None:
    """Add one block of scatterers (master lines sc_lines, all columns and the margin) to every image.

    The master's scatterers sit on its pixel grid: a separable convolution. Each slave's VV scatterers
    sit where the slave sees them: the 2-D splat. VH is independent speckle ~8 dB below VV on each
    image's own grid (nothing interferometric; it is there to be pruned)."""
    cfg, m = scene.cfg, scene.margin
    cols = cfg.size[1]
    a = int(sc_lines[0])
    width = b["lon"].shape[1]
    sig = _per_line_normals(cfg.seed, 1, sc_lines, width)
    amp = np.sqrt(b["intensity"])
    vh_scale = amp * 10 ** (-8 / 20)

    def grid(key, values):
        convolve_grid(values, a, m, first, acc[key], BANDWIDTH_AZ, BANDWIDTH_RG)

    grid("master_vv", amp * sig * np.exp(1j * b["phase_m"]))
    if "master_vh" in acc:
        grid("master_vh", vh_scale * _per_line_normals(cfg.seed, 3, sc_lines, width))
    # each slave: gamma·(master's field) + sqrt(1 - gamma²)·(its own change): coherence gamma with the
    # master, gamma² between two slaves
    for k in range(len(scene.slaves)):
        st = _streams(k)
        nu = _per_line_normals(cfg.seed, st["change"], sc_lines, width)
        values = amp * (g * sig + np.sqrt(1 - g**2) * nu) * np.exp(1j * b["phase_s"][k])
        key = f"slave{k}_vv"
        splat(values.ravel(), b["line_s"][k].ravel(), b["col_s"][k].ravel(), first, acc[key].shape[0], cols,
              BANDWIDTH_AZ, BANDWIDTH_RG, out=acc[key])
        if f"slave{k}_vh" in acc:
            grid(f"slave{k}_vh", vh_scale * _per_line_normals(cfg.seed, st["vh"], sc_lines, width))


def _coherence_map(cfg: PairConfig, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The pair's coherence (without thermal noise) at each scatterer: cfg.coherence, and inside the
    decorrelation disc its own value, blended by a raised cosine from 0.9 to 1.1 radii."""
    gamma = np.full(np.shape(lon), float(cfg.coherence))
    d = cfg.decorrelation
    if not d:
        return gamma
    east = (lon - d["lon"]) * 111_320.0 * np.cos(np.radians(d["lat"]))
    north = (lat - d["lat"]) * 110_574.0
    x = np.clip((np.hypot(east, north) / float(d["radius_m"]) - 0.9) / 0.2, 0.0, 1.0)
    inside = 0.5 * (1 + np.cos(np.pi * x))  # 1 inside, 0 outside
    return np.where(np.isfinite(inside), gamma + (float(d["coherence"]) - gamma) * inside, gamma)


def _guess_from(prev_lines, lon, lat, lines):
    """Initial lon/lat for `lines` from a solved block: its rows where known, else linear extrapolation."""
    step_lon, step_lat = lon[-1] - lon[-2], lat[-1] - lat[-2]
    k = (lines - prev_lines[-1]).astype(float)[:, None]
    inside = (lines >= prev_lines[0]) & (lines <= prev_lines[-1])
    idx = np.clip(lines - prev_lines[0], 0, len(prev_lines) - 1)
    lon_g = np.where(inside[:, None], lon[idx], lon[-1][None, :] + k * step_lon[None, :])
    lat_g = np.where(inside[:, None], lat[idx], lat[-1][None, :] + k * step_lat[None, :])
    return lon_g, lat_g


def _per_line_normals(seed: int, stream: int, lines: np.ndarray, width: int) -> np.ndarray:
    """Unit-power circular Gaussian samples, each line from its own generator (block-size independent)."""
    out = np.empty((len(lines), width), dtype=np.complex128)
    for i, line in enumerate(lines):
        rng = np.random.default_rng([seed, stream, int(line) + 2**31])
        out[i] = (rng.standard_normal(width) + 1j * rng.standard_normal(width)) / np.sqrt(2)
    return out

