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
def _range_weights(col_pos, table_rg, half):
    """Each scatterer's first column and its 2·half + 2 range weights (computed once, not per line)."""
    n = col_pos.shape[0]
    width = 2 * half + 2
    c0 = np.empty(n, dtype=np.int64)
    wr = np.empty((n, width), dtype=np.float64)
    for k in numba.prange(n):
        c0[k] = int(math.floor(col_pos[k])) - half
        for j in range(width):
            wr[k, j] = _lookup(table_rg, c0[k] + j - col_pos[k], half)
    return c0, wr


@numba.njit(parallel=True, cache=True)
def _splat(values, line_pos, c0, wr, first_line, out, table_az, half):
    """out[l, c] += Σ_k values[k] h_az(l + first_line - line_pos[k]) h_rg(c - col_pos[k]).

    Parallel over output lines: each thread owns its lines, so there are no write races;
    scatterers are sorted by line, so each output line scans only its neighbours.
    """
    n_out, n_cols = out.shape
    n = values.shape[0]
    width = wr.shape[1]
    for i in numba.prange(n_out):
        line = first_line + i
        lo = np.searchsorted(line_pos, line - half - 1.0)
        hi = np.searchsorted(line_pos, line + half + 1.0)
        for k in range(lo, min(hi, n)):
            wa = _lookup(table_az, line - line_pos[k], half)
            if wa == 0.0:
                continue
            v = values[k] * wa
            j0 = max(0, -c0[k])
            j1 = min(width, n_cols - c0[k])
            for j in range(j0, j1):
                out[i, c0[k] + j] += v * wr[k, j]


_TABLES: dict[float, np.ndarray] = {}


def _table(bandwidth: float) -> np.ndarray:
    if bandwidth not in _TABLES:
        _TABLES[bandwidth] = response_table(bandwidth)
    return _TABLES[bandwidth]


def splat(values: np.ndarray, line_pos: np.ndarray, col_pos: np.ndarray, first_line: int, n_lines: int,
          n_cols: int, bandwidth_az: float, bandwidth_rg: float, out: np.ndarray | None = None) -> np.ndarray:
    """complex128 (n_lines, n_cols): the scatterers' field on output lines first_line.. (added to `out`
    when given, so that a scene can be built from consecutive blocks of scatterers)."""
    order = np.argsort(line_pos, kind="stable")
    if out is None:
        out = np.zeros((n_lines, n_cols), dtype=np.complex128)
    c0, wr = _range_weights(np.ascontiguousarray(col_pos[order], dtype=np.float64), _table(bandwidth_rg), HALF)
    _splat(np.ascontiguousarray(values[order], dtype=np.complex128),
           np.ascontiguousarray(line_pos[order], dtype=np.float64), c0, wr, first_line, out,
           _table(bandwidth_az), HALF)
    return out


def _integer_taps(bandwidth: float) -> np.ndarray:
    """response(k) for k = -(HALF + 1) .. HALF + 1: the table's own nodes, so identical to splat's weights."""
    k = np.arange(-(HALF + 1), HALF + 2)
    return _table(bandwidth)[np.round((k + HALF + 1) / TABLE_STEP).astype(np.int64)].copy()


@numba.njit(parallel=True, cache=True)
def _range_pass(values, col_offset, n_cols, taps):
    n_rows, n_v = values.shape
    half1 = (taps.shape[0] - 1) // 2
    tmp = np.zeros((n_rows, n_cols), dtype=np.complex128)
    for i in numba.prange(n_rows):
        for c in range(n_cols):
            acc = 0j
            for t in range(taps.shape[0]):
                j = c - (t - half1) + col_offset
                if 0 <= j < n_v:
                    acc += values[i, j] * taps[t]
            tmp[i, c] = acc
    return tmp


@numba.njit(parallel=True, cache=True)
def _azimuth_pass(tmp, first_row, first_line, out, taps):
    n_out, n_cols = out.shape
    half1 = (taps.shape[0] - 1) // 2
    for i in numba.prange(n_out):
        for t in range(taps.shape[0]):
            r = first_line + i - (t - half1) - first_row
            if 0 <= r < tmp.shape[0]:
                w = taps[t]
                for c in range(n_cols):
                    out[i, c] += tmp[r, c] * w


def convolve_grid(values: np.ndarray, first_row: int, col_offset: int, first_line: int, out: np.ndarray,
                  bandwidth_az: float, bandwidth_rg: float) -> np.ndarray:
    """splat() for scatterers on the integer grid: values[i, j] sits at line first_row + i, column
    j - col_offset. The response is separable, so two 1-D passes (2·19 taps) replace the 19×19 splat;
    the weights are the same table nodes, so the result equals splat's to rounding. Adds into `out`
    (output lines first_line..)."""
    tmp = _range_pass(np.ascontiguousarray(values, dtype=np.complex128), col_offset, out.shape[1],
                      _integer_taps(bandwidth_rg))
    _azimuth_pass(tmp, first_row, first_line, out, _integer_taps(bandwidth_az))
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
