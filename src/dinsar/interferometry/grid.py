"""Deformation grid: slave -> master offsets predicted from both orbits and the DEM, refined by
amplitude correlation, the residual fitted robustly by a polynomial (DiapOTB SARDEMGrid +
SARCorrelationGrid).

Offsets are slave position minus master position, in slave lines/columns, at master pixels.
The geometric part is per pixel (each master pixel's ground point, from the DEM projection,
seen by the slave orbit: exact at the grid's nodes here, through dinsar.geometry.lookup's table
within 1e-6 px in the coregistration); only the residual misregistration is a polynomial.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from dinsar.errors import DinsarError
from dinsar.geometry.radar import geo2rdr

log = logging.getLogger(__name__)


class CoregistrationError(DinsarError):
    """The pair cannot be coregistered (no overlap, too few good windows)."""


def geometric_offsets(slave, xyz: np.ndarray, lines: np.ndarray, cols: np.ndarray):
    """Slave (line, col) - master (line, col) of ground points xyz (..., 3) seen at master (lines, cols)."""
    g = slave.radar_grid
    ls, cs = g.pixel(*geo2rdr(slave.orbit, g, xyz.reshape(-1, 3)))
    return ls.reshape(lines.shape) - lines, cs.reshape(cols.shape) - cols


@dataclass
class Residual:
    """offset residual = Σ c_k · terms_k(line, col) in normalised coordinates, per axis."""

    degree: int
    scale: tuple[float, float]  # lines, cols normalisation
    coeff_line: np.ndarray
    coeff_col: np.ndarray

    def terms(self, lines, cols):
        u = np.asarray(lines, dtype=np.float64) / self.scale[0]
        v = np.asarray(cols, dtype=np.float64) / self.scale[1]
        out = [np.ones_like(u)]
        for d in range(1, self.degree + 1):
            out += [u ** (d - k) * v**k for k in range(d + 1)]
        return np.stack(out, -1)

    def __call__(self, lines, cols):
        # term by term: stacking the terms of a full-width block costs more than the polynomial
        u = np.asarray(lines, dtype=np.float64) / self.scale[0]
        v = np.asarray(cols, dtype=np.float64) / self.scale[1]
        shape = np.broadcast(u, v).shape
        rl = np.full(shape, self.coeff_line[0])
        rc = np.full(shape, self.coeff_col[0])
        k = 1
        for d in range(1, self.degree + 1):
            for j in range(d + 1):
                term = u ** (d - j) * v**j
                rl += self.coeff_line[k] * term
                rc += self.coeff_col[k] * term
                k += 1
        return rl, rc

    def to_json(self) -> dict:
        return {"degree": self.degree, "scale": list(self.scale), "line": self.coeff_line.tolist(),
                "col": self.coeff_col.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Residual:
        return cls(d["degree"], tuple(d["scale"]), np.array(d["line"]), np.array(d["col"]))


def fit_residual(lines, cols, r_line, r_col, degree: int, scale, n_sigma: float = 3.0,
                 floor_px: float = 0.02) -> tuple[Residual, np.ndarray]:
    """Least squares with iterative rejection beyond n_sigma robust sigmas (MAD); returns the fit and
    the mask of windows kept."""
    keep = np.isfinite(r_line) & np.isfinite(r_col)
    model = Residual(degree, scale, np.zeros(1), np.zeros(1))
    for _ in range(10):
        t = model.terms(lines[keep], cols[keep])
        if keep.sum() < t.shape[1] * 3:
            raise CoregistrationError(f"only {int(keep.sum())} correlation windows left to fit a "
                                      f"degree-{degree} residual")
        cl = np.linalg.lstsq(t, r_line[keep], rcond=None)[0]
        cc = np.linalg.lstsq(t, r_col[keep], rcond=None)[0]
        model = Residual(degree, scale, cl, cc)
        pl, pc = model(lines, cols)
        dev = np.hypot(r_line - pl, r_col - pc)
        mad = np.nanmedian(dev[keep])
        new = np.isfinite(dev) & (dev <= max(n_sigma * 1.4826 * mad, floor_px))
        if np.array_equal(new, keep):
            break
        keep = new
    return model, keep
