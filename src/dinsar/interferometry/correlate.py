"""Sub-pixel offset of a slave window against a master window by amplitude cross-correlation.

The complex windows are brought to baseband in azimuth (their Doppler centroid and, for TOPS,
its ramp removed) and oversampled ×2 by FFT zero-padding (an SLC is band-limited;
its amplitude is not, and correlating amplitudes at the original sampling biases the
peak), their mean-removed amplitudes are cross-correlated by FFT, and the peak is refined
by an upsampled DFT around it (Guizar-Sicairos et al., 2008) and a parabolic fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OVERSAMPLE = 2
UPSAMPLE = 32  # peak refinement: 1/(OVERSAMPLE·UPSAMPLE) px, then a parabola


@dataclass(frozen=True)
class Match:
    dline: float  # slave position - master position of the window content (pixels)
    dcol: float
    peak: float  # normalised correlation peak (0..1)
    snr: float  # peak over the mean absolute correlation


def _deramp(a: np.ndarray) -> np.ndarray:
    """Move the window's azimuth spectrum to baseband: remove exp(j2π(f0·y + k·y²/2)), f0 and k
    fitted to the lag-one phase of each line pair (Doppler centroid and, in TOPS, its ramp)."""
    lag = np.sum(a[1:] * np.conj(a[:-1]), axis=1)
    w = np.abs(lag)
    if not np.any(w > 0):
        return a
    f = np.unwrap(np.angle(lag)) / (2 * np.pi)  # cycles per line, between lines y and y + 1
    y = np.arange(len(f)) + 0.5
    k, f0 = np.polyfit(y, f, 1, w=np.sqrt(w / w.max()) + 1e-12)
    yy = np.arange(a.shape[0])[:, None]
    return a * np.exp(-2j * np.pi * (f0 * yy + 0.5 * k * yy**2))


def _oversample(a: np.ndarray, k: int) -> np.ndarray:
    ny, nx = a.shape
    spec = np.fft.fftshift(np.fft.fft2(a))
    big = np.zeros((ny * k, nx * k), dtype=np.complex128)
    y0, x0 = (ny * k - ny) // 2, (nx * k - nx) // 2
    big[y0:y0 + ny, x0:x0 + nx] = spec
    return np.fft.ifft2(np.fft.ifftshift(big)) * k * k


def _upsampled_dft(cross: np.ndarray, up: int, size: int, offsets: tuple[float, float]) -> np.ndarray:
    """The inverse DFT of `cross` on a size×size grid of step 1/up around `offsets` (pixels)."""
    ny, nx = cross.shape
    ky = np.fft.ifftshift(np.arange(ny) - ny // 2)
    kx = np.fft.ifftshift(np.arange(nx) - nx // 2)
    sy = (np.arange(size) - size // 2) / up + offsets[0]
    sx = (np.arange(size) - size // 2) / up + offsets[1]
    ey = np.exp(2j * np.pi * np.outer(sy, ky) / ny)
    ex = np.exp(2j * np.pi * np.outer(kx, sx) / nx)
    return ey @ cross @ ex


def _parabola(a, b, c) -> float:
    d = a - 2 * b + c
    return 0.0 if d == 0 else 0.5 * (a - c) / d


def match(master: np.ndarray, slave: np.ndarray) -> Match:
    """Offset (slave - master) of the common content of two same-sized complex windows."""
    a = np.abs(_oversample(_deramp(master), OVERSAMPLE))
    b = np.abs(_oversample(_deramp(slave), OVERSAMPLE))
    # mean removed, then tapered: content entering or leaving the window at its edges would
    # otherwise pull the peak toward zero shift
    taper = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    a = (a - a.mean()) * taper
    b = (b - b.mean()) * taper
    norm = np.sqrt(np.sum(a * a) * np.sum(b * b))
    if norm == 0:
        return Match(np.nan, np.nan, 0.0, 0.0)
    fa, fb = np.fft.fft2(a), np.fft.fft2(b)
    cross = fa * np.conj(fb)
    xc = np.fft.ifft2(cross).real
    iy, ix = np.unravel_index(np.argmax(xc), xc.shape)
    ny, nx = xc.shape
    py = iy if iy <= ny // 2 else iy - ny
    px = ix if ix <= nx // 2 else ix - nx
    peak = float(xc[iy, ix] / norm)
    snr = float(xc[iy, ix] / (np.mean(np.abs(xc)) + 1e-30))
    # refine: upsampled DFT over ±1.5 px (oversampled grid) around the integer peak
    size = 3 * UPSAMPLE + 1
    fine = _upsampled_dft(cross, UPSAMPLE, size, (py, px)).real
    jy, jx = np.unravel_index(np.argmax(fine), fine.shape)
    jy_c, jx_c = np.clip(jy, 1, size - 2), np.clip(jx, 1, size - 2)
    dy = _parabola(fine[jy_c - 1, jx_c], fine[jy_c, jx_c], fine[jy_c + 1, jx_c]) + jy_c
    dx = _parabola(fine[jy_c, jx_c - 1], fine[jy_c, jx_c], fine[jy_c, jx_c + 1]) + jx_c
    tau_y = py + (dy - size // 2) / UPSAMPLE
    tau_x = px + (dx - size // 2) / UPSAMPLE
    # xc(τ) = Σ a(u + τ) b(u): b(u) = a(u + τ) means the slave shows at u what the master
    # shows at u + τ, so the content sits τ earlier in the slave: offset = -τ
    return Match(-tau_y / OVERSAMPLE, -tau_x / OVERSAMPLE, peak, snr)
