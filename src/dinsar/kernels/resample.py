"""Band-limited resampling of complex SLC samples at fractional positions (coregistration).

A separable windowed sinc (Kaiser, 2·HALF = 12 taps per axis: 1.5 % rms error at 85 % bandwidth)
with Doppler demodulation along azimuth: the azimuth spectrum of an SLC is centred on
its Doppler centroid f_dc, so each azimuth tap is weighted by exp(-j2π f_dc Δt) (Δt the
tap's time offset from the output position); for zero-Doppler data this is 1.
"""

from __future__ import annotations

import functools
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


@functools.cache
def weight_table() -> np.ndarray:
    x = np.arange(-(HALF + 0.5), HALF + 0.5 + TABLE_STEP, TABLE_STEP)
    i0 = float(np.i0(KAISER_BETA))
    return np.array([_weight(v, HALF, KAISER_BETA, i0) for v in x])


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
    for i in numba.prange(y.shape[0]):
        wa = np.empty(2 * half)
        wr = np.empty(2 * half)
        for j in range(y.shape[1]):
            out[i, j] = _point(src, y[i, j] - line0, x[i, j] - col0, doppler_cycles_per_line, half, table, wa, wr)


BLOCK = 8  # output lines sharing one range interpolation per column
X_DRIFT_MAX = 1e-3  # px: largest range-position change within a block for the shared range pass


FRACTIONS = 8192  # the two-pass kernel's tap weights at fractional positions k / FRACTIONS (error <= 6e-5 px)


@functools.cache
def tap_table() -> np.ndarray:
    """(FRACTIONS + 1, 2·HALF) normalised tap weights for a position floor(p) + k / FRACTIONS, taps at
    floor(p) - HALF + 1 ... floor(p) + HALF."""
    frac = np.arange(FRACTIONS + 1)[:, None] / FRACTIONS
    w = weights_numpy(frac + HALF - 1 - np.arange(2 * HALF)[None, :])
    return w / w.sum(axis=1, keepdims=True)


@numba.njit(parallel=True, cache=True)
def _resample_blocked(src, line0, col0, y, x, doppler_cycles_per_line, out, half, table, block, drift_max, taps,
                      row_phasor):
    """The same windowed sinc, separable in two passes where the positions are smooth: per column and
    block of output lines, the source lines are interpolated in range once (at the block's middle
    range position), then each output line in azimuth, with the weights of the nearest of
    FRACTIONS tabulated fractional positions. A column whose range position moves by more than
    drift_max px within the block, or whose stencil leaves src, takes the exact 2-D sum.
    Doppler: exp(-j2πf(k - y)) = row_phasor[k] (= exp(-j2πf k), on each source line) · exp(+j2πf y)."""
    ny, nx = src.shape
    n = 2 * half
    nf = taps.shape[0] - 1
    n_blocks = (y.shape[0] + block - 1) // block
    for b in numba.prange(n_blocks):
        i0 = b * block
        i1 = min(y.shape[0], i0 + block)
        wa = np.empty(n)
        wr = np.empty(n)
        rows = np.empty(block + n + 2, dtype=np.complex128)
        for j in range(y.shape[1]):
            xm = x[(i0 + i1 - 1) // 2, j] - col0
            ylo = 1e300
            yhi = -1e300
            smooth = xm == xm
            for i in range(i0, i1):
                yy = y[i, j]
                xx = x[i, j] - col0
                if not (yy == yy) or not (xx == xx) or abs(xx - xm) > drift_max:
                    smooth = False
                    break
                ylo = min(ylo, yy - line0)
                yhi = max(yhi, yy - line0)
            k0 = 0
            k1 = 0
            ix = 0
            if smooth:
                k0 = int(math.floor(ylo)) - half + 1
                k1 = int(math.floor(yhi)) + half + 1  # exclusive
                ix = int(math.floor(xm)) - half + 1
                if k0 < 0 or ix < 0 or k1 > ny or ix + n > nx or k1 - k0 > rows.shape[0]:
                    smooth = False
            if smooth:
                qx = int((xm - math.floor(xm)) * nf + 0.5)
                for k in range(k0, k1):
                    re = 0.0
                    im = 0.0
                    for m in range(n):
                        v = src[k, ix + m]
                        w = taps[qx, m]
                        re += v.real * w
                        im += v.imag * w
                    rows[k - k0] = complex(re, im) * row_phasor[k]
                for i in range(i0, i1):
                    yy = y[i, j] - line0
                    fy = math.floor(yy)
                    iy = int(fy) - half + 1 - k0
                    qy = int((yy - fy) * nf + 0.5)
                    re = 0.0
                    im = 0.0
                    for k in range(n):
                        v = rows[iy + k]
                        w = taps[qy, k]
                        re += v.real * w
                        im += v.imag * w
                    acc = complex(re, im)
                    if doppler_cycles_per_line != 0.0:
                        ang = 2.0 * math.pi * doppler_cycles_per_line * yy
                        acc *= complex(math.cos(ang), math.sin(ang))
                    out[i, j] = acc
            else:
                for i in range(i0, i1):
                    out[i, j] = _point(src, y[i, j] - line0, x[i, j] - col0, doppler_cycles_per_line, half, table,
                                       wa, wr)


@numba.njit(cache=True)
def _point(src, yy, xx, doppler_cycles_per_line, half, table, wa, wr):
    """The exact 2-D windowed-sinc sum at one position (0 without a full stencil, NaN at NaN)."""
    ny, nx = src.shape
    if not (yy == yy) or not (xx == xx):
        return np.nan + 0.0j
    iy = int(math.floor(yy)) - half + 1
    ix = int(math.floor(xx)) - half + 1
    if iy < 0 or ix < 0 or iy + 2 * half > ny or ix + 2 * half > nx:
        return 0.0 + 0.0j
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
    return acc / (sa * sr)


def resample(src: np.ndarray, line0: int, col0: int, y: np.ndarray, x: np.ndarray,
             doppler_hz: float = 0.0, line_interval_s: float = 1.0, exact: bool = False) -> np.ndarray:
    """src sampled at (y, x) (absolute positions; src's first sample is at (line0, col0)).

    Positions without a full stencil inside src give 0; NaN positions give NaN.
    The weights are normalised to sum to 1 (no gain ripple with the fractional position).
    Where the positions are smooth (coregistration), blocks of BLOCK lines share one range
    pass (range positions within X_DRIFT_MAX px): 40 instead of 144 multiply-adds per sample,
    with the weights of the nearest tabulated fraction (tap_table, 1/FRACTIONS px apart: a
    position error <= 6e-5 px); exact=True takes the 2-D sum everywhere.
    """
    out = np.empty(y.shape, dtype=np.complex64)
    args = (np.ascontiguousarray(src, dtype=np.complex64), int(line0), int(col0),
            np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(x, dtype=np.float64),
            float(doppler_hz * line_interval_s), out, HALF, weight_table())
    if exact or y.ndim != 2:
        _resample(*args)
    else:
        f = float(doppler_hz * line_interval_s)
        phasor = np.exp(-2j * np.pi * f * np.arange(src.shape[0])) if f else np.ones(src.shape[0], np.complex128)
        _resample_blocked(*args, BLOCK, X_DRIFT_MAX, tap_table(), phasor)
    return out


def weights_numpy(x: np.ndarray) -> np.ndarray:
    """The kernel's tap weights in plain numpy (test reference)."""
    x = np.asarray(x, dtype=np.float64)
    t = x / (HALF + 0.5)
    kaiser = np.where(np.abs(t) < 1, np.i0(KAISER_BETA * np.sqrt(np.clip(1 - t * t, 0, 1))), 0.0)
    return np.sinc(x) * kaiser / np.i0(KAISER_BETA)
