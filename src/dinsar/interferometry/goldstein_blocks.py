"""The Goldstein–Werner filter of dinsar.interferometry.filter, batched and by blocks of lines.

Same patches, weights and blending as `filter.goldstein` (each patch's spectrum times its 3×3-smoothed
magnitude to the power α; patches overlap by half, blended with triangular tapers), but every patch of
a row of patches goes through one batched FFT (scipy.fft, single precision), and an image is filtered in blocks
of lines with a halo of one patch, aligned on the patch grid, so that the blocks give the whole image's
result (to float32 rounding) in memory bounded by the block.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

CHUNK_PIXELS = 64 * 1024  # patches batched per FFT: about this many samples (stays in cache)


def _check(alpha: float, patch: int) -> None:
    if not 0 <= alpha <= 1:
        raise ValueError(f"Goldstein alpha must be in [0, 1], got {alpha}")
    if patch < 8 or patch % 2:
        raise ValueError(f"Goldstein patch must be an even size >= 8, got {patch}")


def _ramp(patch: int) -> np.ndarray:
    return (1.0 - np.abs(np.arange(patch) - (patch - 1) / 2) / (patch / 2)).astype(np.float32)


def _coverage(n: int, patch: int) -> np.ndarray:
    """Sum of the tapers of the patches starting at 0, patch/2, ... over n samples (n - patch a multiple)."""
    w = np.zeros(n, np.float32)
    ramp = _ramp(patch)
    for i in range(0, n - patch + 1, patch // 2):
        w[i:i + patch] += ramp
    return w


def goldstein(ifg: np.ndarray, alpha: float = 0.5, patch: int = 32, workers: int = 1) -> np.ndarray:
    """Filtered complex interferogram (complex64, same shape); zeros stay zeros. filter.goldstein's result
    (its double-precision FFTs) within float32 rounding. workers: threads of the FFTs (scipy.fft)."""
    from scipy import fft

    _check(alpha, patch)
    ny, nx = ifg.shape
    step = patch // 2
    py = (-(ny - patch) % step) if ny > patch else patch - ny
    px = (-(nx - patch) % step) if nx > patch else patch - nx
    z = np.pad(ifg.astype(np.complex64, copy=False), ((0, py), (0, px)))
    out = np.zeros(z.shape, np.complex64)
    ramp = _ramp(patch)
    taper = np.outer(ramp, ramp)
    nj = (z.shape[1] - patch) // step + 1
    chunk = max(2, (CHUNK_PIXELS // (patch * patch)) // 2 * 2)  # patches per FFT batch (even: parities)
    for i in range(0, z.shape[0] - patch + 1, step):
        band = z[i:i + patch]
        if not band.any():
            continue
        rows = out[i:i + patch]
        # (nj, patch, patch): the patches of this row of patches, starting every `step` columns
        windows = np.lib.stride_tricks.sliding_window_view(band, patch, axis=1)[:, ::step].transpose(1, 0, 2)
        for j0 in range(0, nj, chunk):
            spec = fft.fft2(windows[j0:j0 + chunk], workers=workers)
            mag = np.abs(spec)
            smooth = mag + np.roll(mag, 1, axis=1) + np.roll(mag, -1, axis=1)  # 3×3 boxcar, periodic
            smooth = (smooth + np.roll(smooth, 1, axis=2) + np.roll(smooth, -1, axis=2)) * np.float32(1 / 9)
            spec *= np.sqrt(smooth) if alpha == 0.5 else smooth ** np.float32(alpha)
            filt = fft.ifft2(spec, workers=workers, overwrite_x=True)
            filt *= taper
            for parity in (0, 1):  # patches of one parity do not overlap: add them as one strip
                sel = filt[parity::2]
                c0 = (j0 + parity) * step
                rows[:, c0:c0 + sel.shape[0] * patch] += sel.transpose(1, 0, 2).reshape(patch, -1)
    weight = np.outer(_coverage(z.shape[0], patch), _coverage(z.shape[1], patch))
    out = np.divide(out, weight, out=np.zeros_like(out), where=weight > 0)[:ny, :nx]
    return np.where(ifg == 0, 0, out).astype(np.complex64)


def blocks(height: int, lines: int, patch: int) -> Iterator[tuple[int, int, int, int]]:
    """(first line read, lines read, first line kept, lines kept) of blocks of about `lines` lines whose
    filtered lines equal the whole image's: each block is read with a halo of `patch` lines, its start on
    the patch grid (a multiple of patch/2)."""
    step = patch // 2
    lines = max(patch, -(-lines // step) * step)
    for keep in range(0, height, lines):
        n = min(lines, height - keep)
        first = max(0, keep - patch)
        last = min(height, keep + n + patch)
        yield first, last - first, keep, n
