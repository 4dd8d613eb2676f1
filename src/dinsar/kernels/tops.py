"""TOPS azimuth carrier: deramp (multiply by exp(-jφ)) before interpolation, reramp (exp(+jφ)) after.

φ(η, τ) = π k_t(τ) (η - η_ref(τ))² + 2π f_ηc(τ) (η - η_ref(τ)), η = (line - mid_line) · Δt, from
per-column k_t, f_ηc, η_ref (dinsar.geometry.tops.BurstCarrier, which owns the physics). The phase is
float64 throughout: at a burst's edge it reaches ~10⁴ rad, where float32 would lose ~1e-3 rad.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _columns(kt, fdc, eta_ref) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kt, fdc, eta_ref = (np.ascontiguousarray(x, dtype=np.float64) for x in (kt, fdc, eta_ref))
    if not (kt.ndim == fdc.ndim == eta_ref.ndim == 1) or not (kt.size == fdc.size == eta_ref.size):
        raise ValueError(f"kt, fdc, eta_ref must be 1-D arrays over the same columns, got shapes "
                         f"{kt.shape}, {fdc.shape}, {eta_ref.shape}")
    return kt, fdc, eta_ref


def deramp(block: np.ndarray, first_line: int, first_col: int, kt, fdc, eta_ref, mid_line: float,
           line_interval_s: float, sign: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """block · exp(sign · jφ) for the image samples block[i, j] = (first_line + i, first_col + j).

    kt (Hz/s), fdc (Hz), eta_ref (s): per image column 0 .. n-1 of the burst (the block's columns must lie
    inside). sign -1 deramps, +1 reramps samples still on their own grid. out may be block (in place).
    """
    if block.ndim != 2 or block.dtype != np.complex64 or sign not in (-1, 1):
        raise ValueError(f"deramp needs a 2-D complex64 block and sign ±1, got {block.dtype} {block.shape}, "
                         f"{sign}")
    kt, fdc, eta_ref = _columns(kt, fdc, eta_ref)
    if first_col < 0 or first_col + block.shape[1] > kt.size:
        raise ValueError(f"columns {first_col} .. {first_col + block.shape[1] - 1} outside the carrier's "
                         f"0 .. {kt.size - 1}")
    if out is None:
        out = np.empty(block.shape, dtype=np.complex64)
    if out.shape != block.shape or out.dtype != np.complex64:
        raise ValueError(f"out must be complex64 of shape {block.shape}, got {out.dtype} {out.shape}")
    _deramp(block, float(first_line), int(first_col), kt, fdc, eta_ref, float(mid_line), float(line_interval_s),
            float(sign), out)
    return out


def _check_columns(cols: np.ndarray, samples: int) -> None:
    finite = cols[np.isfinite(cols)]
    if finite.size and (finite.min() < 0 or finite.max() > samples - 1):
        raise ValueError(f"columns outside the carrier's 0 .. {samples - 1}")


def carrier_phase_at(lines, cols, kt, fdc, eta_ref, mid_line: float, line_interval_s: float) -> np.ndarray:
    """φ (rad, float64) at fractional image positions (lines, cols), same shape: what a resampler adds back
    (reramp) at the position it interpolated. Between columns k_t, f_ηc, η_ref are interpolated linearly:
    they are smooth in range (the phase error is < 1e-7 rad on the Sentinel-1 annotations)."""
    kt, fdc, eta_ref = _columns(kt, fdc, eta_ref)
    lines, cols = np.broadcast_arrays(np.asarray(lines, dtype=np.float64), np.asarray(cols, dtype=np.float64))
    flat_c = np.ascontiguousarray(cols).ravel()
    _check_columns(flat_c, kt.size)
    out = np.empty(flat_c.size)
    _phase_at(np.ascontiguousarray(lines).ravel(), flat_c, kt, fdc, eta_ref, float(mid_line),
              float(line_interval_s), out)
    return out.reshape(lines.shape)


@numba.njit(cache=True, inline="always")
def _phase(eta, kt, fdc, eta_ref):
    d = eta - eta_ref
    return math.pi * kt * d * d + 2.0 * math.pi * fdc * d


@numba.njit(parallel=True, cache=True, nogil=True)
def _deramp(block, first_line, first_col, kt, fdc, eta_ref, mid_line, dt, sign, out):
    for i in numba.prange(block.shape[0]):
        eta = (first_line + i - mid_line) * dt
        for j in range(block.shape[1]):
            c = first_col + j
            p = sign * _phase(eta, kt[c], fdc[c], eta_ref[c])
            # the phase in float64, its cos/sin too; only the product is rounded to complex64
            out[i, j] = block[i, j] * complex(math.cos(p), math.sin(p))


@numba.njit(cache=True, inline="always")
def _phase_at_point(line, c, kt, fdc, eta_ref, mid_line, dt):
    """φ at line `line`, fractional column c: k_t, f_ηc, η_ref interpolated linearly between columns."""
    last = kt.shape[0] - 1
    c0 = min(int(math.floor(c)), last - 1) if last > 0 else 0
    w = c - c0
    kt_c = kt[c0] + w * (kt[c0 + 1] - kt[c0]) if last > 0 else kt[0]
    fdc_c = fdc[c0] + w * (fdc[c0 + 1] - fdc[c0]) if last > 0 else fdc[0]
    ref_c = eta_ref[c0] + w * (eta_ref[c0 + 1] - eta_ref[c0]) if last > 0 else eta_ref[0]
    return _phase((line - mid_line) * dt, kt_c, fdc_c, ref_c)


@numba.njit(parallel=True, cache=True, nogil=True)
def _phase_at(lines, cols, kt, fdc, eta_ref, mid_line, dt, out):
    for k in numba.prange(lines.shape[0]):
        c = cols[k]
        if not (c == c):  # NaN position (outside the slave): NaN phase, the caller masks it
            out[k] = np.nan
            continue
        out[k] = _phase_at_point(lines[k], c, kt, fdc, eta_ref, mid_line, dt)


def reramp_at(samples: np.ndarray, lines, cols, kt, fdc, eta_ref, mid_line: float, line_interval_s: float) -> None:
    """samples · exp(+jφ(lines, cols)) in place: carrier_phase_at and the product in one pass (what a
    resampler does after interpolating deramped samples at fractional positions). samples complex64 2-D,
    lines/cols float64 of its shape; NaN positions leave the sample as it is (the caller masks them)."""
    kt, fdc, eta_ref = _columns(kt, fdc, eta_ref)
    lines = np.ascontiguousarray(lines, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.float64)
    if samples.dtype != np.complex64 or samples.ndim != 2 or not (lines.shape == cols.shape == samples.shape):
        raise ValueError(f"reramp_at needs 2-D complex64 samples and positions of their shape, got {samples.dtype} "
                         f"{samples.shape}, {lines.shape}, {cols.shape}")
    _check_columns(cols, kt.size)
    _reramp_at(samples, lines, cols, kt, fdc, eta_ref, float(mid_line), float(line_interval_s))


@numba.njit(parallel=True, cache=True, nogil=True)
def _reramp_at(samples, lines, cols, kt, fdc, eta_ref, mid_line, dt):
    for i in numba.prange(samples.shape[0]):
        for j in range(samples.shape[1]):
            c = cols[i, j]
            if not (c == c):
                continue
            p = _phase_at_point(lines[i, j], c, kt, fdc, eta_ref, mid_line, dt)
            samples[i, j] = samples[i, j] * complex(math.cos(p), math.sin(p))
