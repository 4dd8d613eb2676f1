"""One continuous zero-Doppler scene of the IW pair, cut into every sub-swath's bursts with their carriers.

The scene is the StripMap simulator's (dinsar.simulate.scene: scatterers on the DEM, coherence, Mogi
source, baseline) on IW's line interval, one scatterer per pixel of the scene grid (tops_config) and a
margin. Each scatterer is computed once and added to every burst of every sub-swath it reaches:

    burst(j, c) = exp(+jφ(j, c)) · Σ_P σ_P exp(-jφ(j_P, c_P)) h(j - j_P, c - c_P)

(j_P, c_P) where P focuses in the burst, φ the burst's carrier, h the band-limited zero-Doppler
response. The master's scatterers sit on its scene grid, so on IW1's lines and columns and a fixed
fraction of a line and of a sample off IW2's: a separable convolution with fractionally shifted taps.
The slave's sit where the slave sees them (geometry and the injected azimuth error): the 2-D splat.
The truth (LOS displacement, height, coherence, slave offsets) is each scatterer's: on the scene grid.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.config import DN_SCALE, S4_TIMING, PairConfig
from dinsar.simulate.images import _block_in_threads, _coherence_map, _guess_from, _per_line_normals
from dinsar.simulate.scene import C, Scene, build_scene
from dinsar.simulate.synthesis import HALF, _azimuth_pass, _range_pass, power_gain, response_numpy, splat
from dinsar.simulate.tops_bursts import BurstCut
from dinsar.simulate.tops_config import IwPairConfig, SwathLayout, scene_size
from dinsar.simulate.tops_timing import IW_TIMING

REACH = HALF + 1  # a scatterer adds to lines and columns within this many of its own


def build_iw_scene(cfg: IwPairConfig, dem_file: Path, swaths: tuple[SwathLayout, ...]) -> tuple[Scene, PairConfig]:
    """The StripMap scene over the IW scene grid's time span, then put on IW's line grid: build_scene sizes
    its DEM window and centres the orbit from S4 lines, so it is asked for the span in S4 lines."""
    ati, ati_sm = IW_TIMING["azimuth_time_interval_s"], S4_TIMING["azimuth_time_interval_s"]
    n, cols = scene_size(swaths)
    pc = PairConfig(size=(int(np.ceil((n - 1) * ati / ati_sm)) + 1, cols), seed=cfg.seed,
                    start_time=cfg.start_time, days=cfg.days, baseline_m=cfg.baseline_m, coherence=cfg.coherence,
                    snr_db=cfg.snr_db, mogi=dict(cfg.mogi), orbit_file=cfg.orbit_file, target=cfg.target,
                    misregistration={"line": [cfg.azimuth_error_lines, 0.0, 0.0], "col": [0.0, 0.0, 0.0]},
                    slave_shift=(cfg.slave_shift[0] * ati / ati_sm, cfg.slave_shift[1]))
    scene = build_scene(pc, dem_file)
    # first lines on whole microseconds (the master's at start_time, near t = 0 - span/2): annotations
    # hold µs, and a rounded-off time would be a misregistration the truth does not record
    first = -float((scene.master.epoch - np.datetime64(cfg.start_time, "ns")) / np.timedelta64(1, "ns")) * 1e-9
    shift_s = round(cfg.slave_shift[0] * ati, 6)
    scene.master = replace(scene.master, ati=ati, first_line_s=first)
    scene.slaves = [replace(s, ati=ati, first_line_s=first + shift_s) for s in scene.slaves]
    return scene, pc


def _fractional_taps(frac: float, bandwidth: float) -> np.ndarray:
    """h(d + frac) for d = -(HALF + 1) .. HALF + 1: the taps of a response delayed by frac of a sample."""
    return response_numpy(np.arange(-(HALF + 1), HALF + 2) + frac, bandwidth)


def _convolve(values: np.ndarray, line0: float, col0: float, out: np.ndarray, bw: tuple[float, float]) -> None:
    """Add the response of scatterers on a regular grid (values[i, j] at burst line line0 + i, column
    col0 + j, fractional line0 and col0 alike) to `out` (the burst, lines and columns from 0): two 1-D
    passes of the synthesis kernels with taps h(d + f), f the grid's fraction."""
    first_row, first_col = int(np.ceil(line0)), int(np.ceil(col0))
    tmp = _range_pass(np.ascontiguousarray(values, dtype=np.complex128), -first_col, out.shape[1],
                      _fractional_taps(first_col - col0, bw[1]))
    _azimuth_pass(tmp, first_row, 0, out, _fractional_taps(first_row - line0, bw[0]))


def _add_master(values, sc_lines, sc_cols, cut: BurstCut, out, bw) -> None:
    sw = cut.swath
    y0, x0 = cut.first_line, cut.first_col
    rows = np.flatnonzero((sc_lines >= y0 - REACH) & (sc_lines < y0 + sw.lines_per_burst + REACH))
    cols = np.flatnonzero((sc_cols >= x0 - REACH) & (sc_cols < x0 + sw.samples + REACH))
    if rows.size == 0 or cols.size == 0:
        return
    r, c = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    lines, columns = sc_lines[r] - y0, sc_cols[c] - x0  # where the scatterers sit in the burst
    phi = cut.carrier.phase(lines[:, None], columns[None, :])
    _convolve(values[r, c] * np.exp(-1j * phi), float(lines[0]), float(columns[0]), out, bw)


def _add_slave(values, line_s, col_s, cut: BurstCut, out, bw) -> None:
    sw = cut.swath
    lines, columns = line_s - cut.first_line, col_s - cut.first_col  # each scatterer where the slave focuses it
    sel = ((lines >= -REACH) & (lines < sw.lines_per_burst + REACH) & (columns >= -REACH)
           & (columns < sw.samples + REACH))
    if sel.any():
        phi = cut.carrier.phase(lines[sel], columns[sel])
        splat(values[sel] * np.exp(-1j * phi), lines[sel], columns[sel], 0, sw.lines_per_burst, sw.samples,
              bw[0], bw[1], out=out)


def synthesise(scene: Scene, pc: PairConfig, cfg: IwPairConfig, swaths: tuple[SwathLayout, ...],
               cuts: dict[str, list[BurstCut]]) -> dict:
    """Every burst of `cuts` (per role: master, slave) as complex DN (invalid samples zero), and the truth
    on the scene grid: los, height, coherence (lines, cols) and offsets (2, lines, cols)."""
    m = scene.margin
    n, cols = scene_size(swaths)
    bw = (IW_TIMING["azimuth_bandwidth_hz"] * IW_TIMING["azimuth_time_interval_s"],
          IW_TIMING["range_bandwidth_hz"] / IW_TIMING["range_sampling_rate_hz"])
    gain = power_gain(*bw)
    noise_power = gain / 10 ** (cfg.snr_db / 10) if cfg.snr_db is not None else 0.0
    acc = {role: [np.zeros((c.swath.lines_per_burst, c.swath.samples), np.complex128) for c in cs]
           for role, cs in cuts.items()}
    truth = {name: np.full((n, cols), np.nan, np.float32) for name in ("los", "height", "coherence")}
    truth["offsets"] = np.full((2, n, cols), np.nan, np.float32)
    sc_cols = np.arange(-m, cols + m)
    block_lines = max(8, (1 << 19) // len(sc_cols))
    prev = prev_lines = None
    for a in range(-m, n + m, block_lines):
        sc_lines = np.arange(a, min(a + block_lines, n + m))
        if prev is None:
            t = scene.master.first_line_s + sc_lines[:, None] * scene.master.ati + 0 * sc_cols[None, :]
            r = (scene.master.near_range_time_s + sc_cols[None, :] / scene.master.fs) * C / 2 + 0 * t
            guess = sg.ground_point(scene.master.orbit, t, r, np.full(t.shape, float(np.nanmean(scene.dem.grid))),
                                    iterations=1)
            lon0, lat0, _ = sg.to_geodetic(guess)
        else:
            lon0, lat0 = _guess_from(prev_lines, prev["lon"], prev["lat"], sc_lines)
        b = _block_in_threads(scene, sc_lines, sc_cols, lon0, lat0)
        prev, prev_lines = b, sc_lines
        g = _coherence_map(pc, b["lon"], b["lat"])
        amp = np.sqrt(b["intensity"])
        sig = _per_line_normals(cfg.seed, 1, sc_lines, len(sc_cols))
        nu = _per_line_normals(cfg.seed, 2, sc_lines, len(sc_cols))
        master_values = amp * sig * np.exp(1j * b["phase_m"])
        slave_values = (amp * (g * sig + np.sqrt(1 - g**2) * nu) * np.exp(1j * b["phase_s"][0])).ravel()
        line_s, col_s = b["line_s"][0], b["col_s"][0]
        for cut, out in zip(cuts["master"], acc["master"], strict=True):
            _add_master(master_values, sc_lines, sc_cols, cut, out, bw)
        for cut, out in zip(cuts["slave"], acc["slave"], strict=True):
            _add_slave(slave_values, line_s.ravel(), col_s.ravel(), cut, out, bw)
        rows = (sc_lines >= 0) & (sc_lines < n)
        if rows.any():
            inner = (rows, slice(m, m + cols))
            lines_out = sc_lines[rows]
            ok = b["ok"][inner]
            truth["los"][lines_out] = np.where(ok, b["d_los"][0][inner], np.nan)
            truth["height"][lines_out] = b["h"][inner]
            truth["coherence"][lines_out] = g[inner] / (1.0 + noise_power / gain)
            truth["offsets"][0, lines_out] = np.where(ok, line_s[inner] - lines_out[:, None], np.nan)
            truth["offsets"][1, lines_out] = np.where(ok, col_s[inner] - np.arange(cols)[None, :], np.nan)
    images = {}
    for s_index, role in enumerate(("master", "slave")):
        per_swath = {}
        for cut, data in zip(cuts[role], acc[role], strict=True):
            sw = cut.swath
            lpb = sw.lines_per_burst
            if noise_power > 0:  # each burst is its own raw data: independent noise in the overlaps
                stream = 200 + 1000 * s_index + 100 * swaths.index(sw) + cut.index
                data = data + np.sqrt(noise_power) * _per_line_normals(cfg.seed, stream, np.arange(lpb), sw.samples)
            data = data * np.exp(1j * cut.carrier.phase(np.arange(lpb)[:, None], np.arange(sw.samples)[None, :]))
            first_line, stop_line, first_col, last_col = sw.valid()
            data[:first_line] = 0
            data[stop_line:] = 0
            data[:, :first_col] = 0
            data[:, last_col + 1:] = 0
            z = DN_SCALE * data
            per_swath.setdefault(sw.name, []).append(
                np.clip(np.round(z.real), -32768, 32767) + 1j * np.clip(np.round(z.imag), -32768, 32767))
        images[role] = {name: np.concatenate(bursts).astype(np.complex64) for name, bursts in per_swath.items()}
    return {"images": images, "truth": truth, "noise_power": noise_power, "gain": gain, "bandwidth": bw}
