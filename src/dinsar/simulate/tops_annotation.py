"""What each simulated sub-swath's annotation says: its image (IwSwathImage) with the geolocation grid,
the burst list (times, burst IDs, valid samples) and each burst's carrier polynomials."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from dinsar.io.annotation import GeolocationGrid
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import PairConfig
from dinsar.simulate.naming import absolute_orbit, relative_orbit
from dinsar.simulate.safe_writer import SwathImage
from dinsar.simulate.scene import C, DemSampler, Pass
from dinsar.simulate.tops_bursts import BurstCut, swath_pass
from dinsar.simulate.tops_config import SwathLayout
from dinsar.simulate.tops_timing import IW_TIMING
from dinsar.simulate.tops_writer import T_BEAM_S, T_ORBIT_S, T_PRE_S, TO_IW2_MID_S, IwSwathImage, burst_id

INCLINATION_DEG = 98.18


def grid_at(p: Pass, times_s: np.ndarray, lines: np.ndarray, cols: int, dem: DemSampler) -> GeolocationGrid:
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


def nominal_anx_s(p: Pass, t_s: float) -> float:
    """The ascending node before time t (s, the pass's clock) on a circular orbit of the nominal period:
    argument of latitude u from sin(lat) = sin(i) sin(u), ascending half of the orbit."""
    _, lat, _ = sg.to_geodetic(p.orbit.position(np.array([t_s])))
    u = np.arcsin(np.clip(np.sin(np.radians(lat[0])) / np.sin(np.radians(INCLINATION_DEG)), -1, 1))
    return t_s - (u % (2 * np.pi)) / (2 * np.pi) * T_ORBIT_S


def sensing_s(p: Pass, sw: SwathLayout, k: int) -> float:
    """Sensing start (s, the pass's clock) of burst k of sub-swath sw."""
    return swath_pass(p, sw, k).first_line_s + sw.timing.sensing_after_azimuth_s


def swath_image(p: Pass, sw: SwathLayout, cuts: list[BurstCut], anx_s: float, dem: DemSampler,
                bw: tuple[float, float]) -> IwSwathImage:
    """Sub-swath sw of pass p holding bursts `cuts` (consecutive, sw's), as its annotation describes it."""
    from dinsar.simulate.pair import _swath_image as sm_swath_image

    lpb, cycle, nb = sw.lines_per_burst, IW_TIMING["burst_cycle_lines"], len(cuts)
    sp = swath_pass(p, sw, cuts[0].index)  # the product's first line is its first burst's
    span = (nb - 1) * cycle + lpb
    # grid rows at each burst's first line and at the image's last, as real IW grids have them
    k = np.arange(nb)
    times = sp.first_line_s + np.append(k * cycle, (nb - 1) * cycle + lpb - 1) * sp.ati
    grid = grid_at(sp, times, np.append(k * lpb, nb * lpb - 1), sw.samples, dem)
    sv_window = np.abs(sp.sv_t - (sp.first_line_s + span / 2 * sp.ati)) <= 65
    sm = sm_swath_image(sp, "VV", PairConfig(size=(span, sw.samples)), grid, sv_window)
    base = {f.name: getattr(sm, f.name) for f in fields(SwathImage)}
    first_line, stop_line, first_col, last_col = sw.valid()
    first_valid = np.where((np.arange(lpb) >= first_line) & (np.arange(lpb) < stop_line), first_col, -1)
    last_valid = np.where(first_valid >= 0, last_col, -1)
    orbit_no = absolute_orbit(p.time(p.first_line_s))
    track = relative_orbit(orbit_no)
    to_mid = TO_IW2_MID_S[sw.name]
    bursts = []
    for j, cut in enumerate(cuts):
        t0 = sp.first_line_s + j * cycle * sp.ati
        sensing = sensing_s(p, sw, cut.index)
        c = cut.carrier
        absolute = 1 + int(np.floor((sensing - anx_s + to_mid + (orbit_no - 1) * T_ORBIT_S - T_PRE_S) / T_BEAM_S))
        bursts.append(dict(
            azimuth_time=p.time(t0), anx_s=t0 - anx_s, sensing_time=p.time(sensing),
            mid_time=p.time(t0 + lpb / 2 * p.ati), first_valid=first_valid, last_valid=last_valid,
            burst_id=burst_id(sensing - anx_s, track, sw.name), burst_id_absolute=absolute, fm_t0=c.fm_t0,
            fm_poly=c.fm_poly, dc_t0=c.dc_t0, dc_poly=c.dc_poly,
            geometry_dc_poly=sw.timing.geometry_dc[cut.index % len(sw.timing.geometry_dc)],
            dc_rms_hz=sw.timing.dc_rms_hz[cut.index % len(sw.timing.dc_rms_hz)]))
    base.update(mode="IW", swath=sw.name, lines=nb * lpb, samples=sw.samples, fm_poly=cuts[0].carrier.fm_poly,
                dc_poly=cuts[0].carrier.dc_poly, azimuth_bandwidth_fraction=bw[0], range_bandwidth_fraction=bw[1])
    return IwSwathImage(**base, span_lines=span, steering_rate_deg_s=sw.timing.steering_rate_deg_s,
                        ascending_node_time=p.time(anx_s), lines_per_burst=lpb, bursts=tuple(bursts))
