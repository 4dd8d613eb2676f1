"""The flattening phase of an interferogram: flat earth and topography from the two slant ranges."""

from __future__ import annotations

import numpy as np


def flattening_phase(first_grid, second_grid, wavelength: float, dc_second: np.ndarray,
                     dc_first: np.ndarray | None = None) -> np.ndarray:
    """4π/λ (R_first - R_second), float64 (n, cols), of the ground points of n master lines: the
    second image sees a master pixel's point at its column + dc_second, the first at the master column
    itself (dc_first None: the first is the master) or + dc_first (a stack's reference slave).

    Each grid's slant range is a + b · column (RadarGrid.slant_range_coefficients), so the phase is a per-column
    constant plus the offsets scaled: computed in dc_second's array (and dc_first's), no full-size
    temporaries, and without differencing two ~850 km ranges per pixel.
    """
    k = 4 * np.pi / wavelength
    a1, b1 = first_grid.slant_range_coefficients()
    a2, b2 = second_grid.slant_range_coefficients()
    cols = np.arange(dc_second.shape[1], dtype=np.float64)
    phase = dc_second
    phase *= -k * b2
    phase += k * (a1 - a2) + k * (b1 - b2) * cols
    if dc_first is not None:
        dc_first *= k * b1
        phase += dc_first
    return phase
