"""The bursts of a simulated IW pass: where each sub-swath's bursts lie on the pass's scene grid, and the
TOPS carrier each one carries (dinsar.simulate.tops_carrier, with the sub-swath's real values)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dinsar.simulate.scene import WAVELENGTH_M, C, Pass
from dinsar.simulate.tops_carrier import Carrier
from dinsar.simulate.tops_config import SwathLayout
from dinsar.simulate.tops_timing import IW_TIMING


@dataclass(frozen=True)
class BurstCut:
    """Burst `index` of one sub-swath of one pass: its line 0 and column 0 on that pass's scene grid
    (scene lines count from the pass's own first IW1 line), and its carrier."""

    swath: SwathLayout
    index: int  # the simulation's burst number: the master's first burst is 0, a slave's of the same ID too
    carrier: Carrier

    @property
    def first_line(self) -> float:
        return self.swath.burst_first_line(self.index)

    @property
    def first_col(self) -> float:
        return self.swath.col_offset


def swath_pass(p: Pass, sw: SwathLayout, first_burst: int = 0) -> Pass:
    """The pass as sub-swath sw's product of it sees it: its first line that of burst `first_burst` of
    sw, its near range sw's."""
    return replace(p, first_line_s=p.first_line_s + sw.burst_first_line(first_burst) * p.ati,
                   near_range_time_s=p.near_range_time_s + sw.near_range_offset_s)


def fm_poly(p: Pass, t_s: float, samples: int) -> tuple[float, ...]:
    """k_a(τ) = -2 v v_g / (λ R) at time t (v_g the speed of the nadir point), quadratic in τ - τ0."""
    pos, vel = p.orbit.position(t_s), p.orbit.velocity(t_s)
    v = float(np.linalg.norm(vel))
    v_ground = v * 6_371_000.0 / float(np.linalg.norm(pos))
    tau = p.near_range_time_s + np.array([0.0, 0.5, 1.0]) * samples / p.fs
    return tuple(np.polynomial.polynomial.polyfit(tau - p.near_range_time_s,
                                                  -2 * v * v_ground / (WAVELENGTH_M * tau * C / 2), 2))


def carriers(p: Pass, sw: SwathLayout) -> list[Carrier]:
    """The carrier of each burst of sub-swath sw of pass p: k_s from the orbit's speed at the burst's
    mid time and the sub-swath's steering rate; k_a its annotation's (IW1) or the orbit's (IW2); f_ηc
    its annotation's data Doppler centroid; all polynomials in τ - (the sub-swath's near range)."""
    lpb, cycle = sw.lines_per_burst, IW_TIMING["burst_cycle_lines"]
    t = sw.timing
    sp = swath_pass(p, sw)
    tau0 = sp.near_range_time_s
    out = []
    for k in range(sw.bursts):
        t_mid = sp.first_line_s + (k * cycle + lpb / 2) * p.ati
        v = float(np.linalg.norm(p.orbit.velocity(t_mid)))
        ks = 2 * v * np.radians(t.steering_rate_deg_s) / WAVELENGTH_M
        fm = t.fm[k % len(t.fm)] if t.fm else fm_poly(sp, t_mid, sw.samples)
        out.append(Carrier(lpb, p.ati, tau0, p.fs, ks, tau0, tuple(fm), tau0, t.data_dc[k % len(t.data_dc)]))
    return out


def burst_cuts(p: Pass, swaths: tuple[SwathLayout, ...], first_burst: int = 0) -> list[BurstCut]:
    """Every sub-swath's bursts first_burst.. of pass p, sub-swath by sub-swath."""
    return [BurstCut(sw, k, c) for sw in swaths for k, c in enumerate(carriers(p, sw)) if k >= first_burst]
