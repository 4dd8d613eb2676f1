"""Goldstein–Werner adaptive phase filter (Goldstein & Werner, 1998).

Each patch's spectrum Z is weighted by |Z|^α (|Z| smoothed by a 3×3 boxcar), which
sharpens the dominant fringe frequencies and damps noise; patches overlap by half and
are blended with triangular weights.
"""

from __future__ import annotations

import numpy as np


def _boxcar3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="wrap")  # the spectrum is periodic
    return sum(p[i:i + a.shape[0], j:j + a.shape[1]] for i in range(3) for j in range(3)) / 9.0


def goldstein(ifg: np.ndarray, alpha: float = 0.5, patch: int = 32) -> np.ndarray:
    """Filtered complex interferogram (same shape); zeros stay zeros."""
    if not 0 <= alpha <= 1:
        raise ValueError(f"Goldstein alpha must be in [0, 1], got {alpha}")
    if patch < 8 or patch % 2:
        raise ValueError(f"Goldstein patch must be an even size >= 8, got {patch}")
    ny, nx = ifg.shape
    step = patch // 2
    py = (-(ny - patch) % step) if ny > patch else patch - ny
    px = (-(nx - patch) % step) if nx > patch else patch - nx
    z = np.pad(ifg.astype(np.complex128), ((0, py), (0, px)))
    out = np.zeros_like(z)
    weight = np.zeros(z.shape)
    ramp = 1.0 - np.abs(np.arange(patch) - (patch - 1) / 2) / (patch / 2)
    taper = np.outer(ramp, ramp)
    for i in range(0, z.shape[0] - patch + 1, step):
        for j in range(0, z.shape[1] - patch + 1, step):
            block = z[i:i + patch, j:j + patch]
            spec = np.fft.fft2(block)
            h = _boxcar3(np.abs(spec)) ** alpha
            out[i:i + patch, j:j + patch] += np.fft.ifft2(spec * h) * taper
            weight[i:i + patch, j:j + patch] += taper
    out = np.where(weight > 0, out / np.where(weight > 0, weight, 1), 0)[:ny, :nx]
    return np.where(ifg == 0, 0, out).astype(np.complex64)
