"""Multi-resolution unwrapping: SNAPHU on a coarser-look interferogram, then each fine pixel's 2π cycles.

The fine (multilooked, filtered) interferogram is summed over `factor` × `factor` blocks into a coarse
one small enough for whole-image SNAPHU (its coherence the blocks' mean, its looks `factor`² times the
fine ENL). The coarse unwrapped phase, interpolated bilinearly to the fine grid (pixel centres aligned:
coarse pixel i covers fine lines i·f .. i·f + f - 1), is then a smooth estimate of the fine unwrapped
phase; each fine pixel takes the wrapped phase plus the whole cycles nearest to it,

    unwrapped = ψ + 2π round((φ_coarse↑ - ψ) / 2π),

so the output stays congruent with the fine wrapped phase, and a pixel's value depends only on its own
phase and the coarse solution: the fine grid is processed by blocks of lines in bounded memory, with
no seams. Connected components are the coarse ones (nearest coarse pixel), less the fine pixels more
than MAX_RESIDUAL_RAD from the coarse phase (nearly half a cycle: their cycle is a guess). The
interpolation uses only the coarse neighbours of the nearest one's component, so it never mixes two
independently integrated regions.

This holds while the coarse grid resolves the fringes: `choose_factor` keeps the fringe rate measured on
the interferogram (`FringeRate`, coherent areas only) below MAX_COARSE_RATE_RAD per coarse pixel (half
the rate where cycle errors start, ~4 rad: benchmarks/unwrap_scale.py --rate-scan) and the coarse grid at most
COARSE_PIXELS where it can; within that, more looks make a less noisy coarse phase, with fewer cycle
errors in decorrelated areas than SNAPHU on the fine grid (benchmarks/RESULTS.md). With a factor of 1
this is whole-image SNAPHU.

tophu's multiscale unwrapping (isce-framework) is the model: it unwraps fine tiles with SNAPHU and
levels each tile's components on the coarse solution (nearest-neighbour upsampled integer cycles);
here the interpolated coarse solution is close enough to give each pixel's cycles directly, ~100 times
cheaper than SNAPHU on the fine grid, and fine tiles and their seams are gone.
"""

from __future__ import annotations

import logging
import math

import numba
import numpy as np

log = logging.getLogger(__name__)

COARSE_PIXELS = 4_000_000  # an automatic factor makes the coarse grid at most about this size
MAX_COARSE_RATE_RAD = 2.0  # ... and the fringe rate at most this per coarse pixel (99.5 % of coherent areas)
MAX_COARSE_LOOKS = 8  # ... taking at most this many looks where the size does not need more
MIN_COARSE_SIDE = 128  # ... and leaving the coarse grid at least this many pixels a side
RATE_BLOCK = 8  # fringe rate measured over blocks of this many fine pixels a side
RATE_MIN_QUALITY = 0.5  # blocks whose phase differences are this coherent (|Σ z₊ z*| / Σ |z₊ z|) count
RATE_PERCENTILE = 99.5
MAX_RESIDUAL_RAD = 2.0  # a fine pixel this far from the coarse phase is left out of the components (cc 0)


class FringeRate:
    """The distribution of the local fringe rate (rad/pixel, the larger of the two axes) over coherent
    RATE_BLOCK² blocks, accumulated from blocks of lines (each a whole number of RATE_BLOCK lines)."""

    BINS = 512

    def __init__(self):
        self.hist = np.zeros(self.BINS, np.int64)

    def add(self, z: np.ndarray) -> None:
        b = RATE_BLOCK
        ny, nx = (z.shape[0] // b) * b, (z.shape[1] // b) * b
        if ny == 0 or nx == 0:
            return
        z = z[:ny, :nx]
        rates, quality = [], []
        for dz in (z[1:, :] * np.conj(z[:-1, :]), z[:, 1:] * np.conj(z[:, :-1])):
            # pad back to a whole number of blocks (the missing last difference counts as zero)
            dz = np.pad(dz, ((0, ny - dz.shape[0]), (0, nx - dz.shape[1])))
            s = dz.reshape(ny // b, b, nx // b, b).sum(axis=(1, 3))
            a = np.abs(dz).reshape(ny // b, b, nx // b, b).sum(axis=(1, 3))
            rates.append(np.abs(np.angle(s)))
            quality.append(np.abs(s) / np.maximum(a, 1e-30))
        rate = np.maximum(*rates)[np.minimum(*quality) >= RATE_MIN_QUALITY]
        self.hist += np.histogram(rate, bins=self.BINS, range=(0, np.pi))[0]

    def percentile(self, q: float = RATE_PERCENTILE) -> float | None:
        """The q-th percentile of the rate (rad/pixel; upper bin edge), None without a coherent block."""
        total = self.hist.sum()
        if total == 0:
            return None
        k = int(np.searchsorted(np.cumsum(self.hist), q / 100 * total))
        return float(min(k + 1, self.BINS) * np.pi / self.BINS)


def choose_factor(shape: tuple[int, int], rate: float | None) -> int:
    """The coarse looks factor: as many looks as the fringe rate (rad per fine pixel; None: not measured)
    allows, up to MAX_COARSE_LOOKS and a coarse grid of at least MIN_COARSE_SIDE pixels a side (more
    looks: less noise in the coarse phase, fewer cycle errors), and at least enough to bring the coarse
    grid to COARSE_PIXELS, unless the fringe rate forbids it (then a warning: the coarse grid grows)."""
    size_factor = max(1, math.ceil(math.sqrt(shape[0] * shape[1] / COARSE_PIXELS)))
    rate_factor = max(1, int(MAX_COARSE_RATE_RAD / rate + 1e-9)) if rate and rate > 0 else MAX_COARSE_LOOKS
    factor = max(1, min(rate_factor, MAX_COARSE_LOOKS, min(shape) // MIN_COARSE_SIDE))
    if rate_factor < size_factor:
        coarse = -(-shape[0] // rate_factor) * -(-shape[1] // rate_factor)
        log.warning("fringe rate %.2f rad/pixel: the coarse grid has %d× looks, %.1f Mpixels (more than the "
                    "%.1f aimed at: slower, more memory)", rate, rate_factor, coarse / 1e6, COARSE_PIXELS / 1e6)
    return max(factor, min(size_factor, rate_factor))


class Coarse:
    """A coarse interferogram summed from fine blocks of lines: coarse pixel (i, j) sums fine lines
    i·f .. i·f + f - 1 and columns j·f .. j·f + f - 1 (a partial last block counts)."""

    def __init__(self, shape: tuple[int, int], factor: int):
        self.factor = int(factor)
        self.fine_shape = tuple(int(v) for v in shape)
        f = self.factor
        self.shape = (-(-shape[0] // f), -(-shape[1] // f))
        self.z = np.zeros(self.shape, np.complex128)
        self.coherence = np.zeros(self.shape, np.float64)
        self.count = np.zeros(self.shape, np.int32)

    def add(self, first: int, z: np.ndarray, coherence: np.ndarray, valid: np.ndarray) -> None:
        """Fine lines first .. first + len(z) - 1 (first a multiple of the factor): the filtered
        interferogram, its coherence and the pixels to unwrap. Blocks of distinct lines may be added
        from concurrent threads."""
        f = self.factor
        if first % f:
            raise ValueError(f"coarse sums: block at line {first} is not on the {f}-line grid")
        _block_sums(np.ascontiguousarray(z, np.complex64), np.ascontiguousarray(coherence, np.float32),
                    np.ascontiguousarray(valid), f, first // f, self.z, self.coherence, self.count)

    def inputs(self):
        """SNAPHU's inputs: the coarse interferogram (complex64), its coherence (float32) and mask. A coarse
        pixel with any valid fine pixel is valid; its coherence is the mean over them, lowered where the
        block is partly valid so that its phase variance, (1 - γ²)/(2 N γ²), is that of the fewer looks."""
        valid = self.count > 0
        n = np.maximum(self.count, 1)
        g = np.clip(self.coherence / n, 1e-3, 0.999)
        r = (1 - g * g) / (g * g) * (self.factor**2 / n)
        g = np.where(valid, 1 / np.sqrt(1 + r), 0)
        return np.where(valid, self.z, 0).astype(np.complex64), g.astype(np.float32), valid


@numba.njit(parallel=True, cache=True)
def _block_sums(z, coh, valid, f, i0, zs, cs, ns):
    ny, nx = z.shape
    for i in numba.prange((ny + f - 1) // f):
        for r in range(i * f, min(ny, (i + 1) * f)):
            for c in range(nx):
                if valid[r, c]:
                    j = c // f
                    zs[i0 + i, j] += z[r, c]
                    cs[i0 + i, j] += coh[r, c]
                    ns[i0 + i, j] += 1


@numba.njit(parallel=True, cache=True)
def _cycles(psi, valid, first, col0, f, cunw, clabel, cvalid, max_residual, unw, cc):
    ny, nx = psi.shape
    my, mx = cunw.shape
    half = (f - 1) / 2.0
    two_pi = 2.0 * np.pi
    for r in numba.prange(ny):
        yc = (first + r - half) / f
        ni = min(max(int(np.floor(yc + 0.5)), 0), my - 1)  # the nearest coarse line
        i0 = min(max(int(np.floor(yc)), 0), max(my - 2, 0))
        wy = yc - i0 if my > 1 else 0.0
        for c in range(nx):
            if not valid[r, c]:
                unw[r, c] = np.nan
                cc[r, c] = 0
                continue
            xc = (col0 + c - half) / f
            nj = min(max(int(np.floor(xc + 0.5)), 0), mx - 1)
            j0 = min(max(int(np.floor(xc)), 0), max(mx - 2, 0))
            wx = xc - j0 if mx > 1 else 0.0
            label = clabel[ni, nj]
            cc[r, c] = label
            # the four bilinear neighbours that are valid and of the nearest one's component
            ok = 0
            for a in range(2):
                for b in range(2):
                    ii, jj = min(i0 + a, my - 1), min(j0 + b, mx - 1)
                    if cvalid[ii, jj] and clabel[ii, jj] == label:
                        ok += 1
            if ok == 4:  # all four: bilinear, extrapolated linearly beyond the outer coarse centres
                ay, ax = wy, wx
            else:  # some missing: inside weights only, renormalised over those present
                ay, ax = min(max(wy, 0.0), 1.0), min(max(wx, 0.0), 1.0)
            s, wsum = 0.0, 0.0
            for a in range(2):
                for b in range(2):
                    ii, jj = min(i0 + a, my - 1), min(j0 + b, mx - 1)
                    if cvalid[ii, jj] and clabel[ii, jj] == label:
                        w = (ay if a else 1.0 - ay) * (ax if b else 1.0 - ax)
                        s += w * cunw[ii, jj]
                        wsum += w
            if ok < 4 and wsum <= 1e-6:
                est = cunw[ni, nj]
            else:
                est = s / wsum
            p = psi[r, c]
            u = p + two_pi * np.floor((est - p) / two_pi + 0.5)
            unw[r, c] = u
            if abs(u - est) > max_residual:  # nearly half a cycle off the coarse phase: not reliable
                cc[r, c] = 0


def fine_cycles(psi: np.ndarray, valid: np.ndarray, first: int, factor: int, coarse_unw: np.ndarray,
                coarse_labels: np.ndarray, coarse_valid: np.ndarray, first_col: int = 0):
    """Unwrapped phase (float32, NaN outside `valid`) and component labels (uint32) of the fine window at
    line `first`, column `first_col`, from its wrapped phase ψ and the coarse solution."""
    if psi.shape != valid.shape or not coarse_unw.shape == coarse_labels.shape == coarse_valid.shape:
        raise ValueError("fine_cycles: mismatched shapes")
    unw = np.empty(psi.shape, np.float32)
    cc = np.empty(psi.shape, np.uint32)
    _cycles(np.ascontiguousarray(psi, dtype=np.float64), np.ascontiguousarray(valid), int(first), int(first_col),
           int(factor),
            np.ascontiguousarray(coarse_unw, dtype=np.float64), np.ascontiguousarray(coarse_labels, np.uint32),
            np.ascontiguousarray(coarse_valid), float(MAX_RESIDUAL_RAD), unw, cc)
    return unw, cc
