"""A simulated Sentinel-1 IW TOPS pair (`write_iw_pair`): one sub-swath, a few bursts, known truth.

The scene is the StripMap simulator's (dinsar.simulate.scene: scatterers on the DEM, coherence, Mogi
source, baseline), seen on IW's azimuth line grid. Each pass cuts it into bursts with real IW timing
(IW_TIMING: bursts every 1342 lines, 1514 lines long, so consecutive bursts share 172 lines), and each
burst carries the TOPS azimuth carrier of dinsar.simulate.tops_carrier:

    burst(j, c) = exp(+jφ(j, c)) · Σ_P σ_P exp(-jφ(j_P, c_P)) h(j - j_P, c - c_P)

with σ_P the scatterer's complex reflectivity (its two-way range phase included), j_P, c_P where it
focuses in the burst and h the band-limited zero-Doppler response. The factor exp(-jφ(j_P)) keeps each
target's peak phase its range phase (focusing to zero Doppler does not put the carrier there) while
its spectrum sits at the local Doppler centroid: so a slave misregistered by δ lines shows the
interferometric phase 2π f_ηc(η) δ Δt that Enhanced Spectral Diversity measures, and two passes
whose bursts start a few lines apart stay coherent after deramp → resample → reramp.

The slave is misregistered along azimuth by `azimuth_error_lines` that its annotation does not show
(an along-track timing error geometry cannot see); truth/truth.json records it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import rasterio

from dinsar.io import raster
from dinsar.io.annotation import GeolocationGrid
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import DN_SCALE, S4_TIMING, PairConfig
from dinsar.simulate.images import _block_in_threads, _coherence_map, _guess_from, _per_line_normals
from dinsar.simulate.naming import absolute_orbit, product_name, relative_orbit
from dinsar.simulate.safe_writer import SwathImage
from dinsar.simulate.scene import WAVELENGTH_M, C, Pass, Scene, build_scene
from dinsar.simulate.synthesis import HALF, convolve_grid, power_gain, splat
from dinsar.simulate.tops_carrier import Carrier
from dinsar.simulate.tops_writer import T_BEAM_S, T_ORBIT_S, T_PRE_S, IwSwathImage, burst_id, mid_bin_anx

log = logging.getLogger(__name__)

# Real IW timing, from ../shared/data: the Azores IW3 VV annotation (S1A 2022-09-18, 9 bursts) and the
# Rome IW1 VV annotation (S1A 2022-01-04); neither is IW2, whose own steering rate (~0.98 °/s) is not
# in the data, so the carrier's steering rate is IW3's. The range geometry (near range 5.80 ms, ~36°
# incidence) is the StripMap scene's, which is where IW2 looks.
IW_TIMING = dict(
    azimuth_time_interval_s=2.055556299999998e-03,  # azimuthTimeInterval, Azores and Rome alike
    range_sampling_rate_hz=6.434523812571428e07,  # rangeSamplingRate, both (= S4_TIMING's)
    lines_per_burst=1514,  # Azores linesPerBurst (Rome IW1: 1501)
    # Azores burst azimuthTime steps: 2.758556 s = 1342.00 lines (a few steps are 1341 or 1343 lines;
    # the sensingTime steps are 2.758277 s = T_beam)
    burst_cycle_lines=1342,
    valid_lines=(26, 1489),  # Azores: firstValidSample >= 0 on burst lines 26 .. 1488
    # Azores: firstValidSample 312, lastValidSample 23981 of 24203 samples: the invalid fractions
    invalid_samples_fraction=(312 / 24203, (24203 - 1 - 23981) / 24203),
    sensing_after_azimuth_s=1.137,  # Azores sensingTime - azimuthTime, 1.129 .. 1.142 s
    steering_rate_deg_s=1.397440818,  # Azores productInformation/azimuthSteeringRate (IW3)
    azimuth_bandwidth_hz=314.0,  # Azores azimuth processingBandwidth
    range_bandwidth_hz=42789918.40322842,  # Azores range processingBandwidth
)
# Azores dcEstimates 1-3 (one per burst; cycled past three bursts), in (τ - near range time): data and
# geometry polynomials and dataDcRmsError. Over 1024 samples (16 µs) the c1, c2 terms add < 0.2 Hz.
DATA_DC = ((11.32602, 2321.723, -3.455068e6), (11.79078, -4370.843, 2.745246e6), (8.624313, 11518.98, -1.240621e7))
GEOMETRY_DC = ((-0.7267593, -221.8316, 67974.45), (-1.944907, -116.0222, 60604.33), (-3.171158, -167.8543, 93389.68))
DC_RMS_HZ = (3.203357, 3.444824, 2.731964)
INCLINATION_DEG = 98.18
SWATH = "IW2"


_SCENE = PairConfig()  # the scene settings' defaults are the StripMap pair's: one owner


@dataclass
class IwPairConfig:
    samples: int = 1024
    bursts: int = 3
    seed: int = _SCENE.seed
    start_time: str = _SCENE.start_time
    days: int = _SCENE.days
    baseline_m: float = _SCENE.baseline_m
    coherence: float = _SCENE.coherence
    snr_db: float | None = _SCENE.snr_db
    mogi: dict = field(default_factory=lambda: dict(PairConfig().mogi))
    orbit_file: str | None = _SCENE.orbit_file
    target: tuple[float, float] | None = _SCENE.target
    # the slave's along-track misregistration (lines) that its annotation does not show
    azimuth_error_lines: float = 0.025
    # the slave's bursts start this many lines later (the two dates' burst synchronisation, a few ms)
    # and its near range is this many samples farther
    slave_shift: tuple[float, float] = (1.7, 5.7)

    @property
    def span_lines(self) -> int:
        """Azimuth lines from the first burst's first line to the last burst's last line."""
        return (self.bursts - 1) * IW_TIMING["burst_cycle_lines"] + IW_TIMING["lines_per_burst"]

    @classmethod
    def from_pair(cls, cfg: PairConfig, **overrides) -> IwPairConfig:
        """The IW pair of a StripMap `simulate:` section: its scene settings, range size cfg.size[1]."""
        common = {f.name: getattr(cfg, f.name) for f in fields(cls) if hasattr(cfg, f.name)
                  and f.name not in ("slave_shift",)}
        return cls(samples=int(cfg.size[1]), **{**common, **overrides})


def _scene(cfg: IwPairConfig, dem_file: Path) -> tuple[Scene, PairConfig]:
    """The StripMap scene over the IW strip's time span, then put on IW's line grid: build_scene sizes
    its DEM window and centres the orbit from S4 lines, so it is asked for the span in S4 lines."""
    ati, ati_sm = IW_TIMING["azimuth_time_interval_s"], S4_TIMING["azimuth_time_interval_s"]
    n = cfg.span_lines
    pc = PairConfig(size=(int(np.ceil((n - 1) * ati / ati_sm)) + 1, cfg.samples), seed=cfg.seed,
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


def _fm_poly(p: Pass, t_s: float, samples: int) -> tuple[float, ...]:
    """k_a(τ) = -2 v v_g / (λ R) at time t (v_g the speed of the nadir point), quadratic in τ - τ0."""
    pos, vel = p.orbit.position(t_s), p.orbit.velocity(t_s)
    v = float(np.linalg.norm(vel))
    v_ground = v * 6_371_000.0 / float(np.linalg.norm(pos))
    tau = p.near_range_time_s + np.array([0.0, 0.5, 1.0]) * samples / p.fs
    return tuple(np.polynomial.polynomial.polyfit(tau - p.near_range_time_s,
                                                  -2 * v * v_ground / (WAVELENGTH_M * tau * C / 2), 2))


def _carriers(p: Pass, cfg: IwPairConfig) -> list[Carrier]:
    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    out = []
    for k in range(cfg.bursts):
        t_mid = p.first_line_s + (k * cycle + lpb / 2) * p.ati
        v = float(np.linalg.norm(p.orbit.velocity(t_mid)))
        ks = 2 * v * np.radians(IW_TIMING["steering_rate_deg_s"]) / WAVELENGTH_M
        out.append(Carrier(lpb, p.ati, p.near_range_time_s, p.fs, ks, p.near_range_time_s,
                           _fm_poly(p, t_mid, cfg.samples), p.near_range_time_s, DATA_DC[k % len(DATA_DC)]))
    return out


def _valid(cfg: IwPairConfig) -> tuple[int, int, int, int]:
    """(first valid line, stop line, first valid sample, last valid sample) of every burst."""
    near, far = IW_TIMING["invalid_samples_fraction"]
    first_line, stop_line = IW_TIMING["valid_lines"]
    return first_line, stop_line, int(round(cfg.samples * near)), cfg.samples - 1 - int(round(cfg.samples * far))


def _synthesise(scene: Scene, pc: PairConfig, cfg: IwPairConfig) -> dict:
    """Master and slave bursts (complex, DN units, invalid samples zero) and the master's truth on the
    continuous line grid (line L of burst k is continuous line k·cycle + L)."""
    m = scene.margin
    n, cols = cfg.span_lines, cfg.samples
    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    bw_az = IW_TIMING["azimuth_bandwidth_hz"] * IW_TIMING["azimuth_time_interval_s"]
    bw_rg = IW_TIMING["range_bandwidth_hz"] / IW_TIMING["range_sampling_rate_hz"]
    gain = power_gain(bw_az, bw_rg)
    noise_power = gain / 10 ** (cfg.snr_db / 10) if cfg.snr_db is not None else 0.0
    carriers = {"master": _carriers(scene.master, cfg), "slave": _carriers(scene.slaves[0], cfg)}
    acc = {role: [np.zeros((lpb, cols), np.complex128) for _ in range(cfg.bursts)] for role in carriers}
    truth = {name: np.full((n, cols), np.nan, np.float32) for name in ("los", "height", "coherence")}
    truth["offsets"] = np.full((2, n, cols), np.nan, np.float32)
    sc_cols = np.arange(-m, cols + m)
    reach = HALF + 1  # a scatterer adds to lines within this many of its own
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
        slave_values = amp * (g * sig + np.sqrt(1 - g**2) * nu) * np.exp(1j * b["phase_s"][0])
        line_s, col_s = b["line_s"][0], b["col_s"][0]
        for k in range(cfg.bursts):
            lo = k * cycle
            rows = (sc_lines >= lo - reach) & (sc_lines < lo + lpb + reach)
            if rows.any():  # master scatterers sit on its grid: burst line = continuous line - lo
                local = sc_lines[rows] - lo
                phi = carriers["master"][k].phase(local[:, None], sc_cols[None, :])
                convolve_grid(master_values[rows] * np.exp(-1j * phi), int(local[0]), m, 0, acc["master"][k],
                              bw_az, bw_rg)
            local_s = line_s - lo  # each slave scatterer where the slave focuses it (δ included)
            sel = (local_s >= -reach) & (local_s < lpb + reach)
            if sel.any():
                phi = carriers["slave"][k].phase(local_s[sel], col_s[sel])
                splat(slave_values[sel] * np.exp(-1j * phi), local_s[sel], col_s[sel], 0, lpb, cols, bw_az, bw_rg,
                      out=acc["slave"][k])
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
    first_line, stop_line, first_col, last_col = _valid(cfg)
    images = {}
    for s_index, role in enumerate(("master", "slave")):
        bursts = []
        for k, (data, carrier) in enumerate(zip(acc[role], carriers[role], strict=True)):
            if noise_power > 0:  # each burst is its own raw data: independent noise in the overlaps
                data = data + np.sqrt(noise_power) * _per_line_normals(cfg.seed, 200 + 100 * s_index + k,
                                                                       np.arange(lpb), cols)
            data = data * np.exp(1j * carrier.phase(np.arange(lpb)[:, None], np.arange(cols)[None, :]))
            data[:first_line] = 0
            data[stop_line:] = 0
            data[:, :first_col] = 0
            data[:, last_col + 1:] = 0
            z = DN_SCALE * data
            bursts.append(np.clip(np.round(z.real), -32768, 32767) + 1j * np.clip(np.round(z.imag), -32768, 32767))
        images[role] = np.concatenate(bursts).astype(np.complex64)
    return {"images": images, "carriers": carriers, "truth": truth, "noise_power": noise_power, "gain": gain,
            "bandwidth": (bw_az, bw_rg)}


def _grid_at(p: Pass, times_s: np.ndarray, lines: np.ndarray, cols: int, dem) -> GeolocationGrid:
    """Geolocation grid nodes at given times (one per row) and stacked-image line numbers, 10 columns:
    each node's ground point on the DEM (Newton, bisection where it cycles), as pair._grid_nodes."""
    px = np.unique(np.linspace(0, cols - 1, 10).round().astype(int))
    t, pp = (a.ravel() for a in np.meshgrid(times_s, px, indexing="ij"))
    ll = np.repeat(lines, len(px))
    tau = p.near_range_time_s + pp / p.fs
    start = sg.ground_point(p.orbit, t, tau * C / 2, np.full(t.shape, float(np.nanmean(dem.grid))))
    lon0, lat0, _ = sg.to_geodetic(start)
    lon, lat, h, x, ok = sg.ground_on_surface(p.orbit, t, tau * C / 2, dem, lon0, lat0, iterations=30)
    if not ok.all():
        hs = dem.grid[np.isfinite(dem.grid)]
        xb, okb = sg.ground_by_bisection(p.orbit, t[~ok], tau[~ok] * C / 2, dem, float(hs.min()) - 1.0,
                                         float(hs.max()) + 1.0)
        if not okb.all():
            raise ValueError(f"simulator: {int((~okb).sum())} geolocation grid node(s) off the DEM")
        x[~ok] = xb
        lon[~ok], lat[~ok], _ = sg.to_geodetic(xb)
        h[~ok] = dem(lon[~ok], lat[~ok])
    up = sg.llh_to_xyz(lon, lat, h + 1.0) - x
    to_sat = p.orbit.position(t) - x
    inc = np.degrees(np.arccos(sg.dot3(up, to_sat) / sg.norm3(to_sat)))
    return GeolocationGrid(p.time(t).astype("M8[ns]"), tau, ll, pp, lat, lon, h, inc)


def _nominal_anx_s(p: Pass, t_s: float) -> float:
    """The ascending node before time t (s, the pass's clock) on a circular orbit of the nominal period:
    argument of latitude u from sin(lat) = sin(i) sin(u), ascending half of the orbit."""
    _, lat, _ = sg.to_geodetic(p.orbit.position(np.array([t_s])))
    u = np.arcsin(np.clip(np.sin(np.radians(lat[0])) / np.sin(np.radians(INCLINATION_DEG)), -1, 1))
    return t_s - (u % (2 * np.pi)) / (2 * np.pi) * T_ORBIT_S


def _swath_image(p: Pass, cfg: IwPairConfig, carriers: list[Carrier], anx_s: float, grid: GeolocationGrid,
                 bw: tuple[float, float]) -> IwSwathImage:
    from dinsar.simulate.pair import _swath_image as sm_swath_image

    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    sv_window = np.abs(p.sv_t - (p.first_line_s + cfg.span_lines / 2 * p.ati)) <= 65
    sm = sm_swath_image(p, "VV", PairConfig(size=(cfg.span_lines, cfg.samples)), grid, sv_window)
    base = {f.name: getattr(sm, f.name) for f in fields(SwathImage)}
    first_line, stop_line, first_col, last_col = _valid(cfg)
    first_valid = np.where((np.arange(lpb) >= first_line) & (np.arange(lpb) < stop_line), first_col, -1)
    last_valid = np.where(first_valid >= 0, last_col, -1)
    orbit_no = absolute_orbit(p.time(p.first_line_s))
    track = relative_orbit(orbit_no)
    bursts = []
    for k, carrier in enumerate(carriers):
        t0 = p.first_line_s + k * cycle * p.ati
        sensing = t0 + IW_TIMING["sensing_after_azimuth_s"]
        bid = burst_id(sensing - anx_s, track)
        absolute = 1 + int(np.floor((sensing - anx_s + 1.078 / 2 + (orbit_no - 1) * T_ORBIT_S - T_PRE_S) / T_BEAM_S))
        bursts.append(dict(
            azimuth_time=p.time(t0), anx_s=t0 - anx_s, sensing_time=p.time(sensing),
            mid_time=p.time(t0 + lpb / 2 * p.ati), first_valid=first_valid, last_valid=last_valid,
            burst_id=bid, burst_id_absolute=absolute, fm_t0=carrier.fm_t0, fm_poly=carrier.fm_poly,
            dc_t0=carrier.dc_t0, dc_poly=carrier.dc_poly, geometry_dc_poly=GEOMETRY_DC[k % len(GEOMETRY_DC)],
            dc_rms_hz=DC_RMS_HZ[k % len(DC_RMS_HZ)]))
    base.update(mode="IW", swath=SWATH, lines=cfg.bursts * lpb, samples=cfg.samples,
                fm_poly=carriers[0].fm_poly, dc_poly=carriers[0].dc_poly, azimuth_bandwidth_fraction=bw[0],
                range_bandwidth_fraction=bw[1])
    return IwSwathImage(**base, span_lines=cfg.span_lines, steering_rate_deg_s=IW_TIMING["steering_rate_deg_s"],
                        ascending_node_time=p.time(anx_s), lines_per_burst=lpb, bursts=tuple(bursts))


def _stacked(a: np.ndarray, cfg: IwPairConfig) -> np.ndarray:
    """A continuous-line raster (..., span_lines, cols) as the burst-stacked image's lines."""
    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    return np.concatenate([a[..., k * cycle:k * cycle + lpb, :] for k in range(cfg.bursts)], axis=-2)


TRUTH_FILES = {
    "los_displacement.tif": "LOS displacement toward the slave satellite (m), master burst-stacked grid",
    "offsets.tif": "slave line - master line (bursts alike), slave column - master column; with the injected "
                   "azimuth error",
    "coherence.tif": "coherence of the pair including thermal noise",
    "height.tif": "ellipsoidal height of each master pixel's ground point (m)",
}


def write_iw_pair(out: str | Path, cfg: IwPairConfig | None = None) -> dict:
    """Simulate the IW pair into `out`: master/*.SAFE, slave/*.SAFE, orbits/*.EOF, dem.tif, truth/.

    Returns the truth summary (also truth/truth.json)."""
    import os

    from dinsar.simulate.dem import write_volcano_dem
    from dinsar.simulate.eof_writer import write_eof
    from dinsar.simulate.tops_writer import write_iw_safe

    cfg = cfg or IwPairConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dem_file = out / "dem.tif"
    strip_m = cfg.span_lines * IW_TIMING["azimuth_time_interval_s"] * 7000.0  # ground speed ~7 km/s
    centre = cfg.target or (cfg.mogi["lon"], cfg.mogi["lat"])
    write_volcano_dem(dem_file, half_size_deg=max(0.08, (strip_m / 2 + 8000.0) / 110_000.0), centre=centre)
    scene, pc = _scene(cfg, dem_file)
    result = _synthesise(scene, pc, cfg)
    master, slave = scene.master, scene.slaves[0]
    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    # the ANX: the master's, moved to put its first burst mid-bin; the slave's, `days` later on the same
    # orbit tube (its bursts then sit a few ms from the master's in the cycle, as real ones do)
    t_sense = master.first_line_s + IW_TIMING["sensing_after_azimuth_s"]
    track = relative_orbit(absolute_orbit(master.time(master.first_line_s)))
    anx_m = mid_bin_anx(t_sense, track, _nominal_anx_s(master, master.first_line_s))
    work = Path(tempfile.mkdtemp(prefix=".simulate.", dir=out))
    try:
        products, images = {}, {}
        # anx_m serves both: each pass counts seconds from its own epoch, the slave's `days` later
        for role, p, anx in (("master", master, anx_m), ("slave", slave, anx_m)):
            # grid rows at each burst's first line and at the image's last, as real IW grids have them
            k = np.arange(cfg.bursts)
            times = p.first_line_s + np.append(k * cycle, (cfg.bursts - 1) * cycle + lpb - 1) * p.ati
            lines = np.append(k * lpb, cfg.bursts * lpb - 1)
            grid = _grid_at(p, times, lines, cfg.samples, scene.dem)
            img = _swath_image(p, cfg, result["carriers"][role], anx, grid, result["bandwidth"])
            images[role] = img
            name = product_name("IW", img.first_line_time, img.last_line_time, f"{cfg.start_time}{cfg.samples}{role}")
            products[role] = write_iw_safe(out / role, name, img, relative_orbit(img.absolute_orbit),
                                           img.absolute_orbit % 0xFFFFFF, result["images"][role])
            write_eof(out / "orbits", p.mission, p.time(p.sv_t), p.sv_pos, p.sv_vel,
                      p.time(p.sv_t[-1]) + np.timedelta64(20, "D"))
        truth_dir = work / "truth"
        truth_dir.mkdir()
        t = result["truth"]
        n_stacked = cfg.bursts * lpb
        prof = raster.geotiff_profile(n_stacked, cfg.samples, np.float32, compress="zstd", zstd_level=1, predictor=3)
        for name, data in (("los_displacement.tif", t["los"]), ("height.tif", t["height"]),
                           ("coherence.tif", t["coherence"]), ("offsets.tif", t["offsets"])):
            stacked = _stacked(data, cfg)
            with rasterio.open(truth_dir / name, "w", **{**prof, "count": 1 if stacked.ndim == 2 else 2}) as dst:
                dst.write(stacked[None] if stacked.ndim == 2 else stacked)
        summary = _summary(cfg, scene, result, images, products)
        (truth_dir / "truth.json").write_text(json.dumps(summary, indent=1, default=float))
        if (out / "truth").exists():
            shutil.rmtree(out / "truth")
        os.replace(truth_dir, out / "truth")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("simulated IW pair %s / %s in %s", products["master"].name, products["slave"].name, out)
    return summary


def _summary(cfg: IwPairConfig, scene: Scene, result: dict, images: dict, products: dict) -> dict:
    lpb, cycle = IW_TIMING["lines_per_burst"], IW_TIMING["burst_cycle_lines"]
    ati = IW_TIMING["azimuth_time_interval_s"]
    first_line, stop_line, first_col, last_col = _valid(cfg)
    valid = stop_line - first_line
    mid_col = cfg.samples // 2

    def carrier_json(c: Carrier, b: dict) -> dict:
        return {"ks_hz_s": c.ks_hz_s, "kt_hz_s_mid_swath": float(c.kt(mid_col)), "ka_hz_s_mid_swath":
                float(c.ka(c.tau(mid_col))), "fdc_hz_mid_swath": float(c.fdc(c.tau(mid_col))),
                "eta_ref_s_mid_swath": float(c.eta_ref(mid_col)), "fm_t0": c.fm_t0, "fm_poly": list(c.fm_poly),
                "dc_t0": c.dc_t0, "dc_poly": list(c.dc_poly), "burst_id": b["burst_id"],
                "azimuth_time": str(b["azimuth_time"]), "sensing_time": str(b["sensing_time"])}

    t = result["truth"]
    los = t["los"]
    return {
        "mode": "IW", "swath": SWATH, "master": products["master"].name, "slave": products["slave"].name,
        "bursts": cfg.bursts, "samples": cfg.samples, "seed": cfg.seed, "days": cfg.days,
        "baseline_perp_m": cfg.baseline_m, "coherence": cfg.coherence, "snr_db": cfg.snr_db, "mogi": cfg.mogi,
        "orbit": scene.orbit_source, "wavelength_m": WAVELENGTH_M,
        "expected_coherence": cfg.coherence / (1.0 + result["noise_power"] / result["gain"]),
        "injected_azimuth_error": {"lines": cfg.azimuth_error_lines, "seconds": cfg.azimuth_error_lines * ati,
                                   "note": "slave scatterers focus this many lines later than its annotation "
                                           "and orbit put them (in truth offsets.tif too)"},
        "slave_shift": {"lines": cfg.slave_shift[0], "seconds": round(cfg.slave_shift[0] * ati, 6),
                        "samples": cfg.slave_shift[1], "note": "the slave's first line, on whole µs"},
        "timing": IW_TIMING, "lines_per_burst": lpb, "burst_cycle_lines": cycle,
        "valid_lines": [first_line, stop_line], "valid_samples": [first_col, last_col + 1],
        "overlap": {"lines": lpb - cycle, "seconds": (lpb - cycle) * ati, "fraction_of_burst": (lpb - cycle) / lpb,
                    "valid_lines": valid - cycle, "valid_fraction_of_burst": (valid - cycle) / lpb,
                    "note": "consecutive bursts of a pass share these lines (burst k line j = burst k+1 "
                            "line j - cycle)"},
        "carrier": {role: [carrier_json(c, b) for c, b in zip(result["carriers"][role], images[role].bursts,
                                                              strict=True)] for role in ("master", "slave")},
        "carrier_model": "phi = pi kt (eta - eta_ref)^2 + 2 pi fdc (eta - eta_ref), eta = (j - lpb/2) dt, "
                         "kt = ka ks / (ka - ks), ks = 2 v k_psi / lambda, eta_ref = -fdc/ka + fdc(tau0)/ka(tau0); "
                         "data = exp(+j phi(j)) sum_P sigma_P exp(-j phi(j_P)) h(j - j_P)",
        "los_min_m": float(np.nanmin(los)), "los_max_m": float(np.nanmax(los)),
        "truth_files": TRUTH_FILES,
        "conventions": "d = R_s(P) - R_s(P + u) toward the satellite; phase = -4 pi d / lambda; truth rasters "
                       "on the master's burst-stacked grid (overlap pixels appear in both bursts)",
    }
