"""Flattened interferogram, multilooked, in one pass: DiapOTB's 4 bands (amplitude, phase, coherence, isData).

Per full-resolution sample: I = m · conj(s) · exp(jφ), φ the flattening phase (NaN = no ground
point). A sample counts where m and s are data and φ is finite; zero fill is no data: a zero
sample with at least 4 zero samples among its 8 neighbours (outside the image counts as zero), a
lone zero being a dark valid sample (CInt16 rounds weak echoes to 0). Over naz × nrg looks (N
samples, invalid ones as zero): phase = arg Σ I, coherence = |Σ I| / sqrt(Σ|m|² Σ|s|²),
amplitude = (Σ|m|² Σ|s|²)^(1/4) / sqrt(N), isData = 1 where all N samples count.

`interfere_multilook` is the numba kernel (one pass, no full-resolution temporaries);
`interfere_multilook_numpy` the plain-numpy reference it is tested against.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def interfere_multilook(m: np.ndarray, s: np.ndarray, phase: np.ndarray, naz: int, nrg: int) -> np.ndarray:
    """(4, lines // naz, cols // nrg) float32 from phase (lines, cols) and complex64 m, s framed:
    (lines + 2, cols + 2), the block with the image's neighbouring samples around it (zeros
    outside the image), for the zero-fill test at the block's edges (see `framed`)."""
    lines, cols = phase.shape
    if m.shape != (lines + 2, cols + 2) or s.shape != m.shape:
        raise ValueError(f"framed m {m.shape}, s {s.shape} do not frame phase {phase.shape}")
    out = np.empty((4, lines // naz, cols // nrg), np.float32)
    _interfere(m, s, np.ascontiguousarray(phase), naz, nrg, out)
    return out


def framed(read, first: int, n: int, cols: int, image_shape: tuple[int, int], out: np.ndarray | None = None
           ) -> np.ndarray:
    """Lines first .. first + n - 1, columns 0 .. cols - 1 of an image with one sample around them
    (zeros outside the image), complex64; read(row0, col0, rows, ncols) reads a window. out: the
    previous block's array, filled again when its shape fits (a full-width block is ~100 MB: fresh
    pages cost more than the copy)."""
    if out is None or out.shape != (n + 2, cols + 2) or out.dtype != np.complex64:
        out = np.empty((n + 2, cols + 2), np.complex64)
    r0, r1 = max(first - 1, 0), min(first + n + 1, image_shape[0])
    c1 = min(cols + 1, image_shape[1])
    a, b = r0 - first + 1, r1 - first + 1
    out[:a] = 0
    out[b:] = 0
    out[a:b, :1] = 0
    out[a:b, c1 + 1:] = 0
    out[a:b, 1:c1 + 1] = read(r0, 0, r1 - r0, c1)
    return out


@numba.njit(cache=True, inline="always")
def _is_fill(p, i, j):
    """p[i, j] == 0 and at least 4 of its 8 neighbours are zero (p padded by one sample)."""
    if p[i, j] != 0:
        return False
    zeros = 0
    for di in range(-1, 2):
        for dj in range(-1, 2):
            if (di != 0 or dj != 0) and p[i + di, j + dj] == 0:
                zeros += 1
    return zeros >= 4


@numba.njit(parallel=True, cache=True)
def _interfere(mp, sp, phase, naz, nrg, out):
    n = naz * nrg
    for oi in numba.prange(out.shape[1]):
        for oj in range(out.shape[2]):
            re = im = pm = ps = 0.0
            count = 0
            for i in range(oi * naz, (oi + 1) * naz):
                for j in range(oj * nrg, (oj + 1) * nrg):
                    f = phase[i, j]
                    if not (f == f) or _is_fill(mp, i + 1, j + 1) or _is_fill(sp, i + 1, j + 1):
                        continue
                    a = mp[i + 1, j + 1]
                    b = sp[i + 1, j + 1]
                    pr = a.real * b.real + a.imag * b.imag  # m · conj(s)
                    pi = a.imag * b.real - a.real * b.imag
                    c, sn = math.cos(f), math.sin(f)
                    re += pr * c - pi * sn
                    im += pr * sn + pi * c
                    pm += a.real * a.real + a.imag * a.imag
                    ps += b.real * b.real + b.imag * b.imag
                    count += 1
            denom = math.sqrt(pm * ps)
            out[0, oi, oj] = math.sqrt(denom) / math.sqrt(n)
            out[1, oi, oj] = math.atan2(im, re)
            out[2, oi, oj] = min(1.0, math.sqrt(re * re + im * im) / denom) if denom > 0 else 0.0
            out[3, oi, oj] = 1.0 if count == n else 0.0


def zero_fill(a: np.ndarray) -> np.ndarray:
    """Where `a` is zero fill: zero with at least 4 zero samples among its 8 neighbours (outside = zero)."""
    zero = (a == 0).astype(np.int8)
    p = np.pad(zero, 1, constant_values=1)
    around = sum(p[i:i + a.shape[0], j:j + a.shape[1]] for i in range(3) for j in range(3)) - zero
    return (zero == 1) & (around >= 4)


def interfere_multilook_numpy(m: np.ndarray, s: np.ndarray, phase: np.ndarray, naz: int, nrg: int) -> np.ndarray:
    """The reference: the same bands from whole-image numpy arrays."""
    h, w = m.shape[0] // naz * naz, m.shape[1] // nrg * nrg

    def mean(a):
        return a[:h, :w].reshape(h // naz, naz, w // nrg, nrg).mean(axis=(1, 3))

    valid = ~zero_fill(m) & ~zero_fill(s) & np.isfinite(phase)
    ifg = np.where(valid, m.astype(np.complex128) * np.conj(s) * np.exp(1j * np.where(valid, phase, 0)), 0)
    num = mean(ifg)
    pm = mean(np.where(valid, np.abs(m.astype(np.complex128)) ** 2, 0))
    ps = mean(np.where(valid, np.abs(s.astype(np.complex128)) ** 2, 0))
    denom = np.sqrt(pm * ps)
    coh = np.where(denom > 0, np.abs(num) / np.where(denom > 0, denom, 1), 0)
    return np.stack([np.sqrt(denom), np.angle(num), np.clip(coh, 0, 1), mean(valid) == 1]).astype(np.float32)
