"""Multilook: average over azimuth × range looks (DiapOTB SARMultiLook).

`multilook_intensity` averages |z|² (the amplitude of a view is its square
root); `multilook_complex` averages z (interferograms). Partial looks at the
right/bottom edge are dropped, as DiapOTB does.
"""

from __future__ import annotations

import numba
import numpy as np


def _check(a: np.ndarray, naz: int, nrg: int) -> None:
    if a.ndim != 2 or naz < 1 or nrg < 1:
        raise ValueError(f"multilook needs a 2-D array and looks >= 1, got {a.shape}, {naz}x{nrg}")


def multilook_intensity(a: np.ndarray, naz: int, nrg: int) -> np.ndarray:
    """Mean of |a|² over naz × nrg blocks -> float32 (a: complex or real)."""
    _check(a, naz, nrg)
    out = np.empty((a.shape[0] // naz, a.shape[1] // nrg), dtype=np.float32)
    _intensity(np.ascontiguousarray(a, dtype=np.complex64 if np.iscomplexobj(a) else np.float32), naz, nrg, out)
    return out


def multilook_complex(a: np.ndarray, naz: int, nrg: int) -> np.ndarray:
    """Mean of complex a over naz × nrg blocks -> complex64."""
    _check(a, naz, nrg)
    out = np.empty((a.shape[0] // naz, a.shape[1] // nrg), dtype=np.complex64)
    _complex(np.ascontiguousarray(a, dtype=np.complex64), naz, nrg, out)
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _intensity(a, naz, nrg, out):
    """numba compiles one version for complex and one for real input; .real/.imag exist on both."""
    scale = 1.0 / (naz * nrg)
    for i in numba.prange(out.shape[0]):
        for j in range(out.shape[1]):
            acc = 0.0
            for k in range(i * naz, (i + 1) * naz):
                for m in range(j * nrg, (j + 1) * nrg):
                    z = a[k, m]
                    acc += z.real * z.real + z.imag * z.imag
            out[i, j] = acc * scale


@numba.njit(parallel=True, cache=True, nogil=True)
def _complex(a, naz, nrg, out):
    scale = 1.0 / (naz * nrg)
    for i in numba.prange(out.shape[0]):
        for j in range(out.shape[1]):
            re = 0.0
            im = 0.0
            for k in range(i * naz, (i + 1) * naz):
                for m in range(j * nrg, (j + 1) * nrg):
                    re += a[k, m].real
                    im += a[k, m].imag
            out[i, j] = complex(re * scale, im * scale)
