"""The azimuth carrier of a Spotlight image: its Doppler centroid sweeps along azimuth.

A Spotlight SLC is focused on zero-Doppler lines, but the antenna steered its beam backward over the
scene, so the local azimuth spectrum of line η is centred at f_dc(τ, η) = f_dc(τ, η_mid) + k_t(τ) (η - η_mid)
and over the scene it spans more than the line rate. An interpolator designed for a baseband (or a constant
Doppler) signal would cut most of it: the slave is brought to baseband with its own carrier first, resampled
there and given the carrier back at the position it was read from, as a TOPS burst is
(dinsar.interferometry.tops_resample). The carrier is the integral of the centroid over azimuth time:

    φ(η, τ) = π k_t(τ) η² + 2π f_dc(τ, η_mid) η,   η = (line - mid_line) Δt

the TOPS carrier's form (dinsar.kernels.tops) with η_ref = 0. The centroid's model is taken to first order
in azimuth time at the middle line: a curvature of the sweep only leaves the deramped spectrum slightly off
0 Hz at the image's ends, which the resampler's passband absorbs; it adds no interferometric phase, because
the slave is reramped with the same function it was deramped with. The master is not deramped: the
interferogram m · conj(s) cancels the two carriers where both images steered over the same scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dinsar.kernels import tops as kernel


@dataclass(frozen=True)
class SpotlightCarrier:
    """The azimuth carrier of a whole image (lines 0 .. lines - 1, columns 0 .. samples - 1): per column
    the sweep k_t (Hz/s) and the centroid f_dc (Hz) at `mid_line`."""

    lines: int
    mid_line: int  # η = 0 here
    line_interval_s: float
    kt: np.ndarray  # Hz/s, per column
    fdc: np.ndarray  # Hz at mid_line, per column
    first_line: int = 0  # the image is one block of lines: what tops_resample asks of a carrier
    burst_index: int = 0

    def __post_init__(self):
        if self.kt.shape != self.fdc.shape or self.kt.ndim != 1:
            raise ValueError(f"kt and fdc must be 1-D over the same columns, got {self.kt.shape}, {self.fdc.shape}")

    @classmethod
    def from_doppler(cls, lines: int, samples: int, line_interval_s: float, centroid, t_mid_s: float,
                     slant_range_time) -> SpotlightCarrier:
        """From a 2-D Doppler centroid model `centroid(τ, t)` (Hz; t in seconds on the same axis as t_mid_s,
        the middle line's time), tangent at the middle line by a central difference over ±1/4 of the scene."""
        tau = np.asarray(slant_range_time(np.arange(samples)), dtype=np.float64)
        h = 0.25 * lines * line_interval_s
        kt = (np.asarray(centroid(tau, t_mid_s + h)) - np.asarray(centroid(tau, t_mid_s - h))) / (2 * h)
        fdc = np.asarray(centroid(tau, t_mid_s), dtype=np.float64)
        return cls(lines=lines, mid_line=(lines - 1) // 2, line_interval_s=float(line_interval_s),
                   kt=np.ascontiguousarray(kt, dtype=np.float64), fdc=np.ascontiguousarray(fdc, dtype=np.float64))

    @property
    def samples(self) -> int:
        return self.kt.size

    @property
    def eta_ref(self) -> np.ndarray:
        return np.zeros(self.samples)

    def phase(self, lines, cols) -> np.ndarray:
        """φ (rad) at image positions (whole columns), plain numpy."""
        cols = np.asarray(cols, dtype=np.int64)
        eta = (np.asarray(lines, dtype=np.float64) - self.mid_line) * self.line_interval_s
        return np.pi * self.kt[cols] * eta**2 + 2 * np.pi * self.fdc[cols] * eta

    def deramp(self, block: np.ndarray, first_line: int, first_col: int, demodulate: bool = True,
               out: np.ndarray | None = None) -> np.ndarray:
        """block · exp(-jφ): image samples (first_line + i, first_col + j) brought to baseband. demodulate
        is always True (the centroid's linear term is part of the carrier); kept for tops_resample."""
        self._check(first_line, block.shape[0], demodulate)
        return kernel.deramp(block, first_line, first_col, self.kt, self.fdc, self.eta_ref, self.mid_line,
                             self.line_interval_s, sign=-1, out=out)

    def reramp_at(self, samples: np.ndarray, lines, cols, demodulate: bool = True) -> None:
        """samples · exp(+jφ) at fractional positions, in place."""
        self._check(0, 0, demodulate)
        kernel.reramp_at(samples, lines, cols, self.kt, self.fdc, self.eta_ref, self.mid_line, self.line_interval_s)

    def _check(self, first_line: int, n: int, demodulate: bool) -> None:
        if not demodulate:
            raise ValueError("a Spotlight carrier is always removed with its centroid (demodulate=True)")
        if first_line < 0 or first_line + n > self.lines:
            raise ValueError(f"lines {first_line} .. {first_line + n - 1} outside the image's 0 .. {self.lines - 1}")
