"""Slave -> master offsets measured by amplitude correlation at the nodes of a grid (DiapOTB
SARCorrelationGrid): where the nodes go, which fall inside the slave, and each node's window match.

The windows are read through the products' interface (dinsar.sensors.product.SarProduct), each
image held open for the whole grid: a few hundred small windows, so reopening the TIFF (a
/vsizip/ path re-reads the zip directory) for each would cost more than the correlations.
"""

from __future__ import annotations

import numpy as np
from rasterio.windows import Window

from dinsar.interferometry.correlate import match


def node_grid(shape: tuple[int, int], window: int, step: int, max_windows: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(step, node lines, node columns): nodes at window/2 + k·step, the step widened until at most
    `max_windows` windows fit (the correlations only fit a low-degree residual, so a large image
    takes a coarser step instead of ~250 000 windows at 64 px)."""
    lines, cols = shape
    half = window // 2
    step = max(step, int(np.sqrt(max(lines - window, 1) * max(cols - window, 1) / max_windows)))
    while -(-(lines - window) // step) * -(-(cols - window) // step) > max_windows:
        step += 1
    return step, np.arange(half, lines - half, step), np.arange(half, cols - half, step)


def inside_slave(node_line, node_col, pred_line, pred_col, slave_shape: tuple[int, int], window: int) -> np.ndarray:
    """Nodes whose predicted slave window lies wholly inside the slave image (and is seen at all)."""
    half = window // 2
    sl, sc = slave_shape
    return (np.isfinite(pred_line) & (node_line + pred_line >= half) & (node_line + pred_line < sl - half)
            & (node_col + pred_col >= half) & (node_col + pred_col < sc - half))


def measure_offsets(master, slave, node_line, node_col, pred_line, pred_col, window: int = 64,
                    min_peak: float = 0.2, where=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measured slave line - master line, slave column - master column and correlation peak at each node.

    node_line, node_col: master positions of the nodes (window centres); pred_line, pred_col: the
    predicted offsets there, which place each slave window (rounded to whole pixels; the match
    measures the rest). where: the nodes to measure (default: all), e.g. inside_slave's. Offsets
    are NaN where not measured or the peak is below `min_peak`; peaks 0 where not measured.
    """
    half = window // 2
    shape = np.shape(node_line)
    meas_l = np.full(shape, np.nan)
    meas_c = np.full(shape, np.nan)
    peaks = np.zeros(shape)
    if where is None:
        where = np.ones(shape, bool)
    with master.open() as mr, slave.open() as sr:
        for i, j in zip(*np.nonzero(where), strict=True):
            l0, c0 = node_line[i, j] - half, node_col[i, j] - half
            il, ic = int(round(l0 + pred_line[i, j])), int(round(c0 + pred_col[i, j]))
            r = match(mr.read(Window(c0, l0, window, window)), sr.read(Window(ic, il, window, window)))
            peaks[i, j] = r.peak
            if r.peak >= min_peak:
                meas_l[i, j] = il - l0 + r.dline
                meas_c[i, j] = ic - c0 + r.dcol
    return meas_l, meas_c, peaks
