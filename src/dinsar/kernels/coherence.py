"""Coherence |Σ m·s*| / sqrt(Σ|m|² Σ|s|²) over a sliding k_az × k_rg boxcar (valid part, no padding)."""

from __future__ import annotations

import numba
import numpy as np


def coherence_boxcar(m: np.ndarray, s: np.ndarray, k_az: int, k_rg: int) -> np.ndarray:
    """float32 (ny - k_az + 1, nx - k_rg + 1): the estimate centred on each full window."""
    if m.shape != s.shape or m.ndim != 2 or k_az < 1 or k_rg < 1:
        raise ValueError(f"coherence needs two same-shape 2-D arrays and windows >= 1: {m.shape}, {s.shape}")
    out = np.empty((m.shape[0] - k_az + 1, m.shape[1] - k_rg + 1), dtype=np.float32)
    _coherence(np.ascontiguousarray(m, dtype=np.complex64), np.ascontiguousarray(s, dtype=np.complex64),
               k_az, k_rg, out)
    return out


@numba.njit(parallel=True, cache=True)
def _coherence(m, s, ka, kr, out):
    for i in numba.prange(out.shape[0]):
        for j in range(out.shape[1]):
            re = 0.0
            im = 0.0
            pm = 0.0
            ps = 0.0
            for k in range(i, i + ka):
                for q in range(j, j + kr):
                    a = m[k, q]
                    b = s[k, q]
                    re += a.real * b.real + a.imag * b.imag
                    im += a.imag * b.real - a.real * b.imag
                    pm += a.real * a.real + a.imag * a.imag
                    ps += b.real * b.real + b.imag * b.imag
            d = np.sqrt(pm * ps)
            out[i, j] = np.sqrt(re * re + im * im) / d if d > 0 else 0.0
