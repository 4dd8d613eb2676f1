"""Lag-one azimuth correlation sums, the data behind a Doppler centroid estimate (Doppler0).

For a block of lines, C = Σ s[l+1, c] · conj(s[l, c]) over each (azimuth block,
range block) cell; the Doppler centroid of the cell is PRF · arg(C) / 2π.
"""

from __future__ import annotations

import numba
import numpy as np


def lag_one_sums(a: np.ndarray, az_block: int, rg_block: int) -> np.ndarray:
    """complex128 (n_az, n_rg) sums over cells of az_block lines (az_block - 1 pairs) × rg_block columns.

    Partial cells at the bottom/right edge are dropped.
    """
    if a.ndim != 2 or az_block < 2 or rg_block < 1:
        raise ValueError(f"lag_one_sums needs a 2-D array, az_block >= 2, rg_block >= 1; got {a.shape}, "
                         f"{az_block}, {rg_block}")
    out = np.zeros((a.shape[0] // az_block, a.shape[1] // rg_block), dtype=np.complex128)
    _sums(np.ascontiguousarray(a, dtype=np.complex64), az_block, rg_block, out)
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _sums(a, naz, nrg, out):
    for i in numba.prange(out.shape[0]):
        for j in range(out.shape[1]):
            re = 0.0
            im = 0.0
            for k in range(i * naz, (i + 1) * naz - 1):
                for m in range(j * nrg, (j + 1) * nrg):
                    x = a[k + 1, m]
                    y = a[k, m]
                    # x · conj(y)
                    re += x.real * y.real + x.imag * y.imag
                    im += x.imag * y.real - x.real * y.imag
            out[i, j] = complex(re, im)
