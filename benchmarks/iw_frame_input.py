"""A real-format Sentinel-1 IW SLC pair of band-limited random speckle at real sizes, fast: the input of the
IW TOPS frame benchmark (benchmarks/iw_frame.py, issue 18).

The physics simulator (dinsar.simulate.tops.write_iw_pair) synthesises every scatterer (~30 s and 1.5 GB for
2 sub-swaths × 3 bursts × 1024 samples); a full frame (3 × 9 bursts × ~21 000 samples) would take hours. This
adapter runs the simulator's own metadata path at full size (scene and orbits: build_iw_scene; burst carriers:
burst_cuts; annotations: swath_image; SAFE writer: write_iw_safe; EOF writer; volcano DEM) and replaces only
the image synthesis (tops_scene.synthesise) by noise, written burst by burst:

    master burst k (sub-swath s):  m(j, c) = A e^{+jφ_k(j, c)} B_k(j, c)
    slave burst k:                 s(y, x) = A e^{+jφ_k(y + Δy, x + Δx)} e^{jψ}
                                             × [γ B_k(y + Δy, x + Δx) + √(1-γ²) N_k(y, x)]

B_k, N_k: independent circular Gaussian fields of unit power, band-limited to the annotation's processed
bandwidths (IW: 64.5 % of the PRF in azimuth, 66.5 % of the sampling rate in range), made by an inverse FFT of
white noise on the pass band (so B_k is shifted by a fraction of a sample exactly, by a phase ramp); φ_k the
master burst's TOPS carrier (dinsar.simulate.tops_carrier, the simulator's own, the annotation's polynomials):
the slave is the master's burst signal seen at the slave's geometry, as a real pair is. γ the coherence.

The geometry is exact by construction: zero perpendicular baseline (the slave's orbit is the master's
trajectory `days` later: IwPairConfig(baseline_m=0)), so every ground point the master sees at scene
(line, column) the slave sees at (line - Δ_l + ε, column - Δ_c) of its own grid: Δ_l the slave's burst
synchronisation shift (1.7 lines, on a whole µs), Δ_c its near-range shift (5.7 samples), ε the
along-track timing error its annotation does not show (0.025 lines, what ESD must find) — the simulator's
defaults. So Δy = Δ_l - ε, Δx = Δ_c for every burst of every sub-swath. With no baseline there is no
topographic or flat-earth phase in the data (the chain still computes and removes both: the same work);
ψ is a smooth interferometric phase for unwrapping: a Gaussian bump of ~3 fringes (σ ~8 km) at the scene
centre plus a ramp of 2 fringes across the range and 1 along the azimuth of the scene.

IW3: the simulator's timing table has IW1 (Rome IW1's values) and IW2 (the Azores IW3 values); the third
sub-swath here is IW3 with those same Azores IW3 values (its own), its bursts 1.078 s of sensing time after
IW2's (ESA's nominal IW2 → IW3 spacing, dinsar.sensors.bursts), its near range overlapping IW2's far range
by the simulator's 15 %, 6/7 of a sample off IW1's sample grid.

    from iw_frame_input import write_iw_noise_pair
    write_iw_noise_pair(out, samples=21000, bursts=9, swaths=3)
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import scipy.fft

from dinsar.simulate import tops_writer
from dinsar.simulate.naming import absolute_orbit, product_name, relative_orbit
from dinsar.simulate.tops_annotation import nominal_anx_s, sensing_s, swath_image
from dinsar.simulate.tops_bursts import burst_cuts
from dinsar.simulate.tops_config import IwPairConfig, SwathLayout, layout, scene_size
from dinsar.simulate.tops_timing import (
    IW1_TO_IW2_SENSING_S,
    IW2,
    IW_TIMING,
    NEAR_RANGE_FRACTION,
    SUBSWATH_OVERLAP_FRACTION,
)

log = logging.getLogger("iw_frame_input")

IW2_TO_IW3_SENSING_S = 1.078  # dinsar.sensors.bursts: the nominal IW2 -> IW3 burst spacing
IW3 = replace(IW2, name="IW3", image_number=6, source="Azores IW3 VV (S1A 2022-09-18): its own values")
AMPLITUDE_DN = 100.0  # rms |DN| of the speckle (CInt16)
WAVELENGTH_M = 0.05546576

# the simulator's burst-ID offsets know IW1 and IW2; IW3 bursts take their cycle's IW2 burst's ID (ESA)
tops_writer.TO_IW2_MID_S.setdefault("IW3", tops_writer.IW2_HALF_BURST_S - IW2_TO_IW3_SENSING_S)


class _Stream:
    """What write_iw_safe is given as a sub-swath's image: its bursts, produced one at a time."""

    def __init__(self, blocks):
        self.blocks = blocks
        self.shape = (0, 0)


_write_measurement = tops_writer._write_measurement


def _streamed_measurement(path, img, blocks):
    """tops_writer's measurement writer, fed burst by burst when the image is a _Stream."""
    if len(blocks) == 1 and isinstance(blocks[0][1], _Stream):
        blocks = blocks[0][1].blocks()
    _write_measurement(path, img, blocks)


tops_writer._write_measurement = _streamed_measurement


def frame_layout(cfg: IwPairConfig, swaths: int) -> tuple[SwathLayout, ...]:
    """The simulator's IW1 and IW2 (tops_config.layout), and IW3 after IW2 as IW2 is after IW1."""
    base = layout(cfg)
    if swaths <= 2:
        return base[:swaths]
    ati = IW_TIMING["azimuth_time_interval_s"]
    iw1, iw2 = base
    lines = round((IW1_TO_IW2_SENSING_S + IW2_TO_IW3_SENSING_S
                   - (IW3.sensing_after_azimuth_s - iw1.timing.sensing_after_azimuth_s)) / ati)
    col = iw2.col_offset + cfg.samples - round(SUBSWATH_OVERLAP_FRACTION * cfg.samples) + NEAR_RANGE_FRACTION
    return (*base, SwathLayout(IW3, round(lines * ati, 6) / ati, col, cfg.samples, cfg.bursts))


def _ns(seconds: float) -> np.timedelta64:
    return np.timedelta64(int(round(seconds * 1e9)), "ns")


def _names(cfg: IwPairConfig, swaths) -> tuple[str, str]:
    """tops_naming.product_names over these sub-swaths (a product runs to its last sub-swath's last line)."""
    ati = IW_TIMING["azimuth_time_interval_s"]
    first_s = min(sw.line_offset for sw in swaths) * ati
    last_s = max(sw.line_offset + sw.span_lines - 1 for sw in swaths) * ati
    master = np.datetime64(cfg.start_time, "ns")
    slave = master + np.timedelta64(cfg.days, "D") + _ns(round(cfg.slave_shift[0] * ati, 6))
    key = f"{cfg.start_time}{cfg.samples}{len(swaths)}noise"
    return (product_name("IW", master + _ns(first_s), master + _ns(last_s), key + "master"),
            product_name("IW", slave + _ns(first_s), slave + _ns(last_s), key + "slave"))


@numba.njit(parallel=True, fastmath=True)
def _ramp(field, eta, kt, eref, fdc, v0, v1, s0, s1, scale, psi, line0, col0, out):  # pragma: no cover
    """out = round(scale e^{jφ} e^{jψ} field) (CInt16 values in complex64) on the valid window, 0 elsewhere.
    φ = π kt (η - η_ref)² + 2π f_dc (η - η_ref) per line η and column; ψ(L, C) at scene line line0 + l and
    column col0 + c from psi = (on, amplitude, L0, C0, σ_L, σ_C, rad per line, rad per column)."""
    n, m = out.shape
    on, amp, pl0, pc0, sl, sc, rl, rc = psi
    for lin in numba.prange(n):
        if lin < v0 or lin >= v1:
            for c in range(m):
                out[lin, c] = 0
            continue
        e = eta[lin]
        big_l = line0 + lin
        for c in range(m):
            if c < s0 or c > s1:
                out[lin, c] = 0
                continue
            d = e - eref[c]
            ph = np.pi * kt[c] * d * d + 2.0 * np.pi * fdc[c] * d
            if on > 0:
                big_c = col0 + c
                a = (big_l - pl0) / sl
                b = (big_c - pc0) / sc
                ph += amp * np.exp(-0.5 * (a * a + b * b)) + rl * big_l + rc * big_c
            z = field[lin, c]
            cr, si = np.cos(ph), np.sin(ph)
            re = min(32767.0, max(-32768.0, np.round(scale * (z.real * cr - z.imag * si))))
            im = min(32767.0, max(-32768.0, np.round(scale * (z.real * si + z.imag * cr))))
            out[lin, c] = complex(re, im)


class NoiseBursts:
    """Every burst of both dates, each from its own seeded white noise (the slave's burst k regenerates the
    master's burst-k field: nothing is kept between bursts)."""

    def __init__(self, cfg: IwPairConfig, swaths, cuts, coherence: float, threads: int):
        self.cfg, self.swaths, self.cuts, self.g, self.threads = cfg, swaths, cuts, coherence, threads
        ati = IW_TIMING["azimuth_time_interval_s"]
        self.bw = (IW_TIMING["azimuth_bandwidth_hz"] * ati,
                   IW_TIMING["range_bandwidth_hz"] / IW_TIMING["range_sampling_rate_hz"])
        shift_lines = round(cfg.slave_shift[0] * ati, 6) / ati
        self.dy = shift_lines - cfg.azimuth_error_lines  # slave burst line -> master burst line
        self.dx = float(cfg.slave_shift[1])  # slave column -> master column
        lines, cols = scene_size(swaths)
        v_ground = 6800.0  # m/s, for ψ's scales only
        ground_col = 299_792_458.0 / (2 * IW_TIMING["range_sampling_rate_hz"]) / math.sin(math.radians(39.0))
        self.psi = np.array([1.0, 4 * np.pi / WAVELENGTH_M * 0.08, lines / 2, cols / 2, 8000.0 / (v_ground * ati),
                             8000.0 / ground_col, 2 * np.pi / lines, 2 * 2 * np.pi / cols])
        self.seconds = {"noise": 0.0, "fft": 0.0, "ramp": 0.0}

    def _spectrum(self, shape, seed, shift=None) -> np.ndarray:
        """White circular Gaussian noise on the pass band (fftfreq order), scaled to a unit-power field;
        with shift (dy, dx): the field's values at (l + dy, c + dx)."""
        n, m = shape
        fy, fx = np.fft.fftfreq(n), np.fft.fftfreq(m)
        ky, kx = np.abs(fy) < self.bw[0] / 2, np.abs(fx) < self.bw[1] / 2
        count = int(ky.sum()) * int(kx.sum())
        rng = np.random.default_rng(seed)
        spec = np.zeros(shape, np.complex64)
        iy, ix = np.flatnonzero(ky), np.flatnonzero(kx)
        # the pass band is two runs of rows and two of columns (positive, then negative frequencies)
        runs_y = [iy[iy < n // 2], iy[iy >= n // 2]]
        runs_x = [ix[ix < m // 2], ix[ix >= m // 2]]
        scale = np.float32(n * m / math.sqrt(2 * count))
        for ry in runs_y:
            for rx in runs_x:
                if ry.size == 0 or rx.size == 0:
                    continue
                sl = (slice(ry[0], ry[-1] + 1), slice(rx[0], rx[-1] + 1))
                block = rng.standard_normal((ry.size, 2 * rx.size), dtype=np.float32).view(np.complex64)
                block *= scale
                if shift is not None:
                    block *= np.exp(2j * np.pi * fy[ry] * shift[0]).astype(np.complex64)[:, None]
                    block *= np.exp(2j * np.pi * fx[rx] * shift[1]).astype(np.complex64)[None, :]
                spec[sl] = block
        return spec

    def burst(self, role: str, s: int, k: int) -> np.ndarray:
        sw = self.swaths[s]
        cut = next(c for c in self.cuts["master"] if c.swath is sw and c.index == k)
        lpb, m = sw.lines_per_burst, sw.samples
        n = scipy.fft.next_fast_len(lpb + 16)
        t0 = time.perf_counter()
        seed = (self.cfg.seed, s, k)
        if role == "master":
            spec = self._spectrum((n, m), (*seed, 0))
        else:
            spec = self._spectrum((n, m), (*seed, 0), shift=(self.dy, self.dx))
            spec *= np.float32(self.g)
            spec += np.float32(math.sqrt(1 - self.g ** 2)) * self._spectrum((n, m), (*seed, 1))
        t1 = time.perf_counter()
        field = scipy.fft.ifft2(spec, workers=self.threads, overwrite_x=True)[:lpb]
        del spec
        t2 = time.perf_counter()
        c = cut.carrier
        dy, dx = (0.0, 0.0) if role == "master" else (self.dy, self.dx)
        cols = np.arange(m) + dx
        eta = c.eta(np.arange(lpb) + dy)
        kt, eref, fdc = c.kt(cols), c.eta_ref(cols), c.fdc(c.tau(cols))
        v0, v1, s0, s1 = sw.valid()
        psi = self.psi.copy()
        if role == "master":
            psi[0] = 0.0
        out = np.empty((lpb, m), np.complex64)
        # ψ at the master scene position the slave pixel sees
        _ramp(field, eta, kt, eref, fdc, v0, v1, s0, s1, AMPLITUDE_DN, psi, cut.first_line + dy,
              cut.first_col + dx, out)
        self.seconds["noise"] += t1 - t0
        self.seconds["fft"] += t2 - t1
        self.seconds["ramp"] += time.perf_counter() - t2
        return out

    def stream(self, role: str, s: int, ks: list[int]) -> _Stream:
        lpb = self.swaths[s].lines_per_burst

        def blocks():
            for j, k in enumerate(ks):
                t = time.perf_counter()
                data = self.burst(role, s, k)
                log.info("%s %s burst %d: %.1f s", role, self.swaths[s].name, k, time.perf_counter() - t)
                yield j * lpb, data

        return _Stream(blocks)


def eof_vectors(p, first_line_s: float, step_s: float = 10.0, before_s: float = 63.0):
    """The pass's state vectors every step_s, re-timed so that one falls `before_s` before the product's first
    line (the simulator's vectors, p.sv_t, sit at the rotated real orbit's times): positions and velocities
    from a degree-8 fit of the 9 nearest of the simulator's vectors (its own orbit, to ~mm).

    Why: the chain keeps, per sub-swath, the EOF vectors within its first line - 60 s .. last line + 60 s
    (sensors.sentinel1 ORBIT_MARGIN_S) and counts that sub-swath's times from its first kept vector, while
    tops.merge subtracts times of different sub-swaths (benchmark finding, 2026-12-02): with a vector between
    the IW1 and IW3 first lines - 60 s (a 1.9 s window of the 10 s cycle), the merged master is blank
    beyond IW1. One vector 63 s before the first IW1 line leaves none in that window (the sub-swaths start
    within 1.9 s), so every sub-swath keeps the same first vector."""
    t_raw, pos_raw = np.asarray(p.sv_t, float), np.asarray(p.sv_pos, float)
    t = np.arange(first_line_s - before_s - 30 * step_s, first_line_s + 60 * step_s, step_s)
    t = t[(t >= t_raw[4]) & (t <= t_raw[-5])]
    pos, vel = np.empty((len(t), 3)), np.empty((len(t), 3))
    for i, ti in enumerate(t):
        near = np.argsort(np.abs(t_raw - ti))[:9]
        tt = t_raw[near] - ti
        for k in range(3):
            c = np.polynomial.polynomial.polyfit(tt / 100.0, pos_raw[near, k], 8)
            pos[i, k] = c[0]
            vel[i, k] = c[1] / 100.0
    return t, pos, vel


def write_iw_noise_pair(out, samples: int = 21000, bursts: int = 9, swaths: int = 3, coherence: float = 0.7,
                        seed: int = 1, threads: int = 2) -> dict:
    """out/master/*.SAFE, out/slave/*.SAFE (sub-swaths IW1.. of `bursts` bursts of `samples` samples each),
    out/orbits/*.EOF, out/dem.tif, out/frame.json (what the images hold). Returns frame.json's content."""
    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.eof_writer import write_eof
    from dinsar.simulate.tops_scene import build_iw_scene

    numba.set_num_threads(threads)
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = IwPairConfig(samples=samples, bursts=bursts, seed=seed, baseline_m=0.0, coherence=coherence)
    sws = frame_layout(cfg, swaths)
    # the simulator's DEM (write_iw_pair: the strip's length + 8 km around the centre), wide enough for the
    # window build_scene reads over the scene (its columns too, at 4.5 m each, + 5 km) with a margin
    ati, ati_sm = IW_TIMING["azimuth_time_interval_s"], 6.0e-4
    n_lines, n_cols = scene_size(sws)
    strip_m = max(sw.line_offset + sw.span_lines for sw in sws) * ati * 7000.0
    scene_half_m = max(math.ceil((n_lines - 1) * ati / ati_sm) * 4.5, n_cols * 4.5) / 2 + 5000.0
    half_deg = max(0.08, (strip_m / 2 + 8000.0) / 110_000.0, scene_half_m / 110_000.0 + 0.05)
    centre = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    dem_file = out / "dem.tif"
    write_volcano_dem(dem_file, half_size_deg=half_deg, centre=centre)
    t_dem = time.perf_counter()
    scene, _ = build_iw_scene(cfg, dem_file, sws)
    master, slave = scene.master, scene.slaves[0]
    cuts = {"master": burst_cuts(master, sws), "slave": burst_cuts(slave, sws)}
    noise = NoiseBursts(cfg, sws, cuts, coherence, threads)
    iw2 = next(sw for sw in sws if sw.name == "IW2") if swaths >= 2 else sws[0]
    track = relative_orbit(absolute_orbit(master.time(master.first_line_s)))
    anx = tops_writer.mid_bin_anx(sensing_s(master, iw2, 0), track, nominal_anx_s(master, master.first_line_s))
    names = dict(zip(("master", "slave"), _names(cfg, sws), strict=True))
    products = {}
    for role, p in (("master", master), ("slave", slave)):
        imgs = [swath_image(p, sw, [c for c in cuts[role] if c.swath is sw], anx, scene.dem, noise.bw) for sw in sws]
        streams = [noise.stream(role, s, [c.index for c in cuts[role] if c.swath is sw]) for s, sw in enumerate(sws)]
        products[role] = tops_writer.write_iw_safe(out / role, names[role], imgs,
                                                   relative_orbit(imgs[0].absolute_orbit),
                                                   imgs[0].absolute_orbit % 0xFFFFFF, streams,
                                                   [sw.timing.image_number for sw in sws])
        t_eof, pos, vel = eof_vectors(p, p.first_line_s + min(sw.line_offset for sw in sws) * p.ati)
        write_eof(out / "orbits", p.mission, p.time(t_eof), pos, vel, p.time(p.sv_t[-1]) + np.timedelta64(20, "D"))
    info = {
        "generator": "benchmarks/iw_frame_input.py (band-limited speckle on the simulator's metadata path)",
        "master": products["master"].name, "slave": products["slave"].name,
        "swaths": [{"name": sw.name, "source": sw.timing.source, "samples": sw.samples, "bursts": sw.bursts,
                    "lines_per_burst": sw.lines_per_burst, "line_offset": sw.line_offset, "col_offset": sw.col_offset,
                    "valid": list(sw.valid())} for sw in sws],
        "scene_size": [n_lines, n_cols], "coherence": coherence, "baseline_perp_m": 0.0, "days": cfg.days,
        "injected_azimuth_error_lines": cfg.azimuth_error_lines,
        "slave_to_master_burst_shift": {"lines": noise.dy, "samples": noise.dx},
        "bandwidth_fractions": list(noise.bw), "amplitude_dn_rms": AMPLITUDE_DN,
        "psi": {"bump_rad": float(noise.psi[1]), "centre_scene_line_col": [float(noise.psi[2]), float(noise.psi[3])],
                "sigma_lines_cols": [float(noise.psi[4]), float(noise.psi[5])],
                "ramp_rad_per_line_col": [float(noise.psi[6]), float(noise.psi[7])],
                "note": "added to the slave: the interferogram master x conj(slave) has phase -psi"},
        "dem_half_size_deg": half_deg, "orbit": scene.orbit_source,
        "seconds": {"dem": round(t_dem - t_start, 1), "total": round(time.perf_counter() - t_start, 1),
                    **{k: round(v, 1) for k, v in noise.seconds.items()}},
    }
    (out / "frame.json").write_text(json.dumps(info, indent=1))
    return info
