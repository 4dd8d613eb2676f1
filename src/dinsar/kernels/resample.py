"""Band-limited resampling of complex SLC samples at fractional positions (coregistration).

A separable windowed sinc (Kaiser, 2·HALF = 12 taps per axis: 1.5 % rms error at 85 % bandwidth)
with Doppler demodulation along azimuth: the azimuth spectrum of an SLC is centred on
its Doppler centroid f_dc, so each azimuth tap is weighted by exp(-j2π f_dc Δt) (Δt the
tap's time offset from the output position); for zero-Doppler data this is 1.
"""

from __future__ import annotations

import math

import numba
import numpy as np

HALF = 6
KAISER_BETA = 4.5


@numba.njit(cache=True, inline="always")
def _weight(x, half, beta, i0_beta):
    t = x / (half + 0.5)
    if abs(t) >= 1.0:
        return 0.0
    arg = beta * math.sqrt(1.0 - t * t)
    s = 1.0
    term = 1.0
    for k in range(1, 20):
        term *= (arg / (2.0 * k)) ** 2
        s += term
    if x == 0.0:
        return s / i0_beta
    px = math.pi * x
    return math.sin(px) / px * s / i0_beta


TABLE_STEP = 1.0 / 4096  # weights tabulated at this step, linearly interpolated (error < 1e-6)


def weight_table() -> np.ndarray:
    x = np.arange(-(HALF + 0.5), HALF + 0.5 + TABLE_STEP, TABLE_STEP)
    i0 = float(np.i0(KAISER_BETA))
    return np.array([_weight(v, HALF, KAISER_BETA, i0) for v in x])


_TABLE = None


def _table() -> np.ndarray:
    global _TABLE
    if _TABLE is None:
        _TABLE = weight_table()
    return _TABLE


@numba.njit(cache=True, inline="always")
def _lookup(table, x, half):
    f = (x + half + 0.5) / TABLE_STEP
    k = int(f)
    if k < 0 or k + 1 >= table.shape[0]:
        return 0.0
    w = f - k
    return (1.0 - w) * table[k] + w * table[k + 1]


@numba.njit(parallel=True, cache=True)
def _resample(src, line0, col0, y, x, doppler_cycles_per_line, out, half, table):
    ny, nx = src.shape
    for i in numba.prange(y.shape[0]):
        wa = np.empty(2 * half)
        wr = np.empty(2 * half)
        for j in range(y.shape[1]):
            yy = y[i, j] - line0
            xx = x[i, j] - col0
            if not (yy == yy) or not (xx == xx):
                out[i, j] = np.nan
                continue
            iy = int(math.floor(yy)) - half + 1
            ix = int(math.floor(xx)) - half + 1
            if iy < 0 or ix < 0 or iy + 2 * half > ny or ix + 2 * half > nx:
                out[i, j] = 0.0
                continue
            sa = 0.0
            sr = 0.0
            for k in range(2 * half):
                wa[k] = _lookup(table, yy - (iy + k), half)
                wr[k] = _lookup(table, xx - (ix + k), half)
                sa += wa[k]
                sr += wr[k]
            acc = 0.0 + 0.0j
            for k in range(2 * half):
                row = 0.0 + 0.0j
                for m in range(2 * half):
                    row += src[iy + k, ix + m] * wr[m]
                if doppler_cycles_per_line != 0.0:
                    ang = -2.0 * math.pi * doppler_cycles_per_line * ((iy + k) - yy)
                    row *= complex(math.cos(ang), math.sin(ang))
                acc += row * wa[k]
            out[i, j] = acc / (sa * sr)


def resample(src: np.ndarray, line0: int, col0: int, y: np.ndarray, x: np.ndarray,
             doppler_hz: float = 0.0, line_interval_s: float = 1.0) -> np.ndarray:
    """src sampled at (y, x) (absolute positions; src's first sample is at (line0, col0)).

    Positions without a full stencil inside src give 0; NaN positions give NaN.
    The weights are normalised to sum to 1 (no gain ripple with the fractional position).
    """
    out = np.empty(y.shape, dtype=np.complex64)
    _resample(np.ascontiguousarray(src, dtype=np.complex64), int(line0), int(col0),
              np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(x, dtype=np.float64),
              float(doppler_hz * line_interval_s), out, HALF, _table())
    return out


def weights_numpy(x: np.ndarray) -> np.ndarray:
    """The kernel's tap weights in plain numpy (test reference)."""
    x = np.asarray(x, dtype=np.float64)
    t = x / (HALF + 0.5)
    kaiser = np.where(np.abs(t) < 1, np.i0(KAISER_BETA * np.sqrt(np.clip(1 - t * t, 0, 1))), 0.0)
    return np.sinc(x) * kaiser / np.i0(KAISER_BETA)
