"""Band-limited SLC synthesis: point scatterers splatted through a windowed-sinc impulse response.

An SLC is the scatterer field convolved with the system's impulse response; the
field sampled at any (fractional) position is then well defined, which is what
makes the slave's resampling onto the master grid a fair test. The response is
separable: sqrt(B)·sinc(B·x)·Kaiser window over ±HALF samples per axis, B the
processed bandwidth as a fraction of the sampling rate (unit output power for a
unit-power white scatterer field).
"""

from __future__ import annotations

import math

import numba
import numpy as np

HALF = 8  # taps each side
KAISER_BETA = 6.0


@numba.njit(cache=True, inline="always")
def _kaiser(x, half, beta, i0_beta):
    t = x / (half + 1.0)
    if abs(t) >= 1.0:
        return 0.0
    arg = beta * math.sqrt(1.0 - t * t)
    # I0 by its series (converges fast for beta <= 10)
    s = 1.0
    term = 1.0
    for k in range(1, 25):
        term *= (arg / (2.0 * k)) ** 2
        s += term
    return s / i0_beta


@numba.njit(cache=True, inline="always")
def response(x, bandwidth, half, beta, i0_beta):
    if x == 0.0:
        sinc = 1.0
    else:
        px = math.pi * bandwidth * x
        sinc = math.sin(px) / px
    return math.sqrt(bandwidth) * sinc * _kaiser(x, half, beta, i0_beta)


def _i0(beta: float) -> float:
    return float(np.i0(beta))


TABLE_STEP = 1.0 / 2048  # response tabulated on this grid, linearly interpolated


def response_table(bandwidth: float) -> np.ndarray:
    """response(x) at x = -(HALF + 1) + k · TABLE_STEP (linear interpolation error < 1e-6)."""
    x = np.arange(-(HALF + 1), HALF + 1 + TABLE_STEP, TABLE_STEP)
    out = np.empty_like(x)
    i0 = _i0(KAISER_BETA)
    for k in range(len(x)):
        out[k] = response(x[k], bandwidth, HALF, KAISER_BETA, i0)
    return out


@numba.njit(cache=True, inline="always")
def _lookup(table, x, half):
    f = (x + half + 1.0) / TABLE_STEP
    k = int(f)
    if k < 0 or k + 1 >= table.shape[0]:
        return 0.0
    w = f - k
    return (1.0 - w) * table[k] + w * table[k + 1]


@numba.njit(parallel=True, cache=True)
def _splat(values, line_pos, col_pos, first_line, out, table_az, table_rg, half):
    """out[l, c] += Σ_k values[k] h_az(l + first_line - line_pos[k]) h_rg(c - col_pos[k]).

    Parallel over output lines: each thread owns its lines, so there are no write races;
    scatterers are sorted by line, so each output line scans only its neighbours.
    """
    n_out, n_cols = out.shape
    n = values.shape[0]
    for i in numba.prange(n_out):
        line = first_line + i
        lo = np.searchsorted(line_pos, line - half - 1.0)
        hi = np.searchsorted(line_pos, line + half + 1.0)
        for k in range(lo, min(hi, n)):
            wa = _lookup(table_az, line - line_pos[k], half)
            if wa == 0.0:
                continue
            v = values[k] * wa
            c0 = int(math.floor(col_pos[k])) - half
            for c in range(max(0, c0), min(n_cols, c0 + 2 * half + 2)):
                out[i, c] += v * _lookup(table_rg, c - col_pos[k], half)


_TABLES: dict[float, np.ndarray] = {}


def _table(bandwidth: float) -> np.ndarray:
    if bandwidth not in _TABLES:
        _TABLES[bandwidth] = response_table(bandwidth)
    return _TABLES[bandwidth]


def splat(values: np.ndarray, line_pos: np.ndarray, col_pos: np.ndarray, first_line: int, n_lines: int,
          n_cols: int, bandwidth_az: float, bandwidth_rg: float) -> np.ndarray:
    """complex128 (n_lines, n_cols): the scatterers' field on output lines first_line.. ."""
    order = np.argsort(line_pos, kind="stable")
    out = np.zeros((n_lines, n_cols), dtype=np.complex128)
    _splat(np.ascontiguousarray(values[order], dtype=np.complex128),
           np.ascontiguousarray(line_pos[order], dtype=np.float64),
           np.ascontiguousarray(col_pos[order], dtype=np.float64), first_line, out,
           _table(bandwidth_az), _table(bandwidth_rg), HALF)
    return out


def response_numpy(x: np.ndarray, bandwidth: float) -> np.ndarray:
    """The same impulse response in plain numpy (the kernel's test reference)."""
    x = np.asarray(x, dtype=np.float64)
    t = x / (HALF + 1.0)
    kaiser = np.i0(KAISER_BETA * np.sqrt(np.clip(1 - t * t, 0, 1))) / np.i0(KAISER_BETA)
    window = np.where(np.abs(t) < 1, kaiser, 0.0)
    return np.sqrt(bandwidth) * np.sinc(bandwidth * x) * window


def power_gain(bandwidth_az: float, bandwidth_rg: float) -> float:
    """Output power of a unit-power white scatterer field on the sample grid (< 1: the window)."""
    n = np.arange(-HALF - 1, HALF + 2)
    return float(np.sum(response_numpy(n, bandwidth_az) ** 2) * np.sum(response_numpy(n, bandwidth_rg) ** 2))
