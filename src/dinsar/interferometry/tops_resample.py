"""TOPS (IW) resampling of one slave burst onto one master burst grid: deramp → resample → reramp.

A TOPS burst's local Doppler centroid sweeps through several PRFs (k_t ≈ 1.6 kHz/s over ~3 s against a
486 Hz line rate), so its samples are not baseband and a windowed sinc that assumes one Doppler
centroid for the whole block (kernels.resample with f_dc) interpolates them correctly only near the
burst's middle; elsewhere the spectrum straddles ±PRF/2 and the interpolated sample decorrelates
(DESIGN.md, TOPS). The slave burst is therefore brought to baseband with its own carrier first,
interpolated there, and given the carrier back at the position it was read from:

    s_r(i, j) = exp(+jφ_s(y_ij, x_ij)) · Σ h(y_ij − k, x_ij − l) · s(k, l) · exp(−jφ_s(k, l))

with φ_s the slave burst's carrier (dinsar.geometry.tops.BurstCarrier, demodulated: the linear f_ηc
term too, so the deramped spectrum sits at 0 Hz and the kernel runs with f_dc = 0) and (y, x) the slave
position of each master pixel (slave burst-stacked line and column, geometry offsets plus any ESD
correction).

Convention: the output carries the SLAVE's carrier at the SLAVE position, not the master's carrier at
the master pixel. Where the two geometries agree a ground point's master pixel and its slave position
see the same azimuth beam position, so φ_m(i, j) ≈ φ_s(y_ij, x_ij) and m · conj(s_r) is carrier-free;
what remains of a misregistration δ (lines) is the phase 2π f(η) δ Δt at the local Doppler f(η), the
signal Enhanced Spectral Diversity (dinsar.interferometry.esd) measures in the burst overlaps. Reramping
with the master's carrier instead would cancel that signal together with the carrier.
"""

from __future__ import annotations

import math

import numpy as np

from dinsar.geometry.tops import BurstCarrier
from dinsar.kernels import resample as kernel

HALO = kernel.HALF  # slave lines/columns needed on each side of a position for a full stencil


def slave_window(y: np.ndarray, carrier: BurstCarrier) -> tuple[int, int]:
    """(first line, stop line) of the slave burst-stacked image that `resample_burst` needs for the
    positions y: their span plus the kernel's stencil, clipped to the burst (lines outside it hold
    another burst's data, whose carrier is not this one)."""
    finite = np.asarray(y, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    lo, hi = carrier.first_line, carrier.first_line + carrier.lines
    if not finite.size:
        return lo, lo
    first = int(math.floor(finite.min())) - HALO + 1
    stop = int(math.floor(finite.max())) + HALO + 1
    first, stop = min(max(lo, first), hi), max(lo, min(hi, stop))
    return first, max(first, stop)  # an empty window where the positions miss the burst


def resample_burst(slave_block: np.ndarray, slave_first_line: int, slave_carrier: BurstCarrier, y: np.ndarray,
                   x: np.ndarray, line_interval_s: float, slave_first_col: int = 0) -> np.ndarray:
    """The slave burst's samples at the fractional positions (y, x), carrier kept (module docstring).

    slave_block: complex samples of lines slave_first_line .. of the slave's burst-stacked image, all
    inside burst `slave_carrier` (`slave_window` gives the lines a block of positions needs), columns
    slave_first_col ..; y, x: float64 slave line and column of each output (master) pixel, any 2-D
    block of master lines (streaming: one block of master lines in, the same block out); NaN marks a
    pixel without a slave position. line_interval_s: the slave's azimuth line interval, which must be
    the carrier's (the two come from the same annotation; a mismatch means the wrong carrier).

    Returns complex64 of y's shape: 0 where the stencil leaves the block (as kernels.resample), NaN at
    NaN positions.
    """
    block = np.ascontiguousarray(slave_block, dtype=np.complex64)
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if block.ndim != 2 or y.ndim != 2 or y.shape != x.shape:
        raise ValueError(f"resample_burst needs a 2-D slave block and 2-D y, x of one shape, got {block.shape}, "
                         f"{y.shape}, {x.shape}")
    if not math.isclose(line_interval_s, slave_carrier.line_interval_s, rel_tol=1e-9):
        raise ValueError(f"line interval {line_interval_s} s is not the slave carrier's "
                         f"{slave_carrier.line_interval_s} s (burst {slave_carrier.burst_index})")
    # deramp with the slave's own carrier on its own grid; BurstCarrier.deramp refuses lines outside
    # the burst, so a window that strays into the neighbouring burst fails loudly
    base = slave_carrier.deramp(block, int(slave_first_line), int(slave_first_col), demodulate=True)
    # baseband now: the kernel's Doppler demodulation is off (f_dc = 0)
    out = kernel.resample(base, int(slave_first_line), int(slave_first_col), y, x, 0.0, line_interval_s)
    # reramp at the positions read: the carrier's columns only span the burst, and a position outside
    # them has no full stencil anyway (kernel gave 0), so clipping only keeps phase_at in range
    cols = np.clip(x, 0.0, slave_carrier.samples - 1)
    # φ in float64 until the product (it reaches ~10⁴ rad at a burst's edge), fused with it
    slave_carrier.reramp_at(out, y, cols, demodulate=True)
    return out
