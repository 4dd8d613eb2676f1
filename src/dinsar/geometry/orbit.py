"""Orbit interpolation: 8th-order Lagrange (9 nodes) through the state-vector positions.

Velocity and acceleration are the derivatives of the same polynomial, not an
interpolation of the annotated velocities: on StripMap annotations those are
not consistent with the positions at the 1e-4 level, and a Hermite spline that
honours them wobbles by ~0.2 lines between nodes (../shared/data/README.md).
Evaluation is allowed only inside the span of the state vectors.
"""

from __future__ import annotations

import numba
import numpy as np

from dinsar.errors import ProductError
from dinsar.io.statevectors import StateVectors

ORDER = 8  # polynomial degree; ORDER + 1 nodes per window


class Orbit:
    """Positions/velocities/accelerations at seconds since `epoch` (datetime64[ns])."""

    def __init__(self, sv: StateVectors):
        n = len(sv)
        if n < 4:
            raise ProductError(f"{sv.source}: {n} state vectors; at least 4 are needed")
        self.source = sv.source
        self.epoch = sv.time[0]
        self.t = (sv.time - self.epoch) / np.timedelta64(1, "ns") * 1e-9
        if np.any(np.diff(self.t) <= 0):
            raise ProductError(f"{sv.source}: state vector times are not strictly increasing")
        self.pos = np.ascontiguousarray(sv.position, dtype=np.float64)
        self.order = min(ORDER, n - 1)
        self.coeffs, self.centres, self.scales = _window_coefficients(self.t, self.pos, self.order)

    @property
    def span(self) -> tuple[float, float]:
        return float(self.t[0]), float(self.t[-1])

    def seconds(self, time: np.ndarray) -> np.ndarray:
        return (np.asarray(time, dtype="M8[ns]") - self.epoch) / np.timedelta64(1, "ns") * 1e-9

    def check(self, t: np.ndarray, what: str = "time") -> None:
        t = np.asarray(t)
        lo, hi = self.span
        if t.size and (np.nanmin(t) < lo or np.nanmax(t) > hi):
            bad = np.nanmin(t) if np.nanmin(t) < lo else np.nanmax(t)
            raise ProductError(
                f"{self.source}: {what} {self.epoch + np.timedelta64(int(bad * 1e9), 'ns')} is outside "
                f"the orbit {self.epoch} + [{lo:.1f}, {hi:.1f}] s; no extrapolation"
            )

    def interpolate(self, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position, velocity, acceleration), each (n, 3), at t seconds since epoch."""
        t = np.ascontiguousarray(np.atleast_1d(t), dtype=np.float64)
        self.check(t)
        pos, vel, acc = (np.empty((t.size, 3)) for _ in range(3))
        _evaluate_many(self.t, self.coeffs, self.centres, self.scales, t, pos, vel, acc)
        return pos, vel, acc


def _window_coefficients(t: np.ndarray, pos: np.ndarray, order: int):
    """Monomial coefficients, in scaled time, of the interpolant of each window of order+1 nodes."""
    nwin = len(t) - order
    coeffs = np.empty((nwin, 3, order + 1))
    centres = np.empty(nwin)
    scales = np.empty(nwin)
    for k in range(nwin):
        tt = t[k:k + order + 1]
        centres[k] = 0.5 * (tt[0] + tt[-1])
        scales[k] = 0.5 * (tt[-1] - tt[0])  # nodes map to [-1, 1]: a well-conditioned Vandermonde
        v = np.vander((tt - centres[k]) / scales[k], order + 1, increasing=True)
        coeffs[k] = np.linalg.solve(v, pos[k:k + order + 1]).T
    return coeffs, centres, scales


@numba.njit(cache=True, inline="always")
def window_index(tnodes, order, t):
    """The window whose nodes surround t most evenly."""
    n = tnodes.shape[0]
    i = np.searchsorted(tnodes, t) - 1
    k = i - (order // 2)
    if k < 0:
        k = 0
    if k > n - order - 1:
        k = n - order - 1
    return k


@numba.njit(cache=True)
def evaluate(tnodes, coeffs, centres, scales, t, out_p, out_v, out_a):
    """Position, velocity and acceleration at t into the 3-arrays out_p, out_v, out_a."""
    order = coeffs.shape[2] - 1
    k = window_index(tnodes, order, t)
    s = scales[k]
    u = (t - centres[k]) / s
    for d in range(3):
        c = coeffs[k, d]
        p = c[order]
        v = 0.0
        a = 0.0
        for j in range(order, 0, -1):  # Horner for p, p' and p''
            a = a * u + 2.0 * v
            v = v * u + p
            p = p * u + c[j - 1]
        out_p[d] = p
        out_v[d] = v / s
        out_a[d] = a / (s * s)


@numba.njit(parallel=True, cache=True)
def _evaluate_many(tnodes, coeffs, centres, scales, t, pos, vel, acc):
    for i in numba.prange(t.shape[0]):
        evaluate(tnodes, coeffs, centres, scales, t[i], pos[i], vel[i], acc[i])
